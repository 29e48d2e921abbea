"""Plan rules a user notices: what a replace warns about, and --target patterns that match nothing."""

from __future__ import annotations

from typing import Any

from reconciler.diagnostics import Location
from reconciler.engine import live, planner, targets
from reconciler.manifest.desired import DesiredDeployment, DesiredState
from reconciler.manifest.model import SettingsSpec
from support.specs import SPEC


def want(name: str, **fields: Any) -> DesiredDeployment:
    return DesiredDeployment(name=name, fields={**SPEC, **fields}, source=Location(f"{name}.yaml", 1, 1))


def have(deployment_id: str, name: str, **fields: Any) -> live.LiveDeployment:
    return live.from_api({"id": deployment_id, "name": name, **SPEC, "hardware": [SPEC["hardware"]], **fields})


def state(*deployments: DesiredDeployment) -> DesiredState:
    return DesiredState(deployments=deployments, presets={}, settings=SettingsSpec(), files=("m",))


def test_a_replace_does_not_also_warn_about_a_rolling_restart() -> None:
    desired = state(want("img", workflow_id="wf-2", workflow_version="v2", hardware="AMPERE_80"))
    plan, problems = planner.build_plan(desired, [have("id-1", "img")], planner.PlanOptions(allow_replace=True))
    assert problems == []
    (change,) = plan.changes
    assert change.action.value == "replace"
    assert not any("rolling restart" in w for w in change.warnings), change.warnings


def test_an_update_of_the_version_still_warns_about_the_rolling_restart() -> None:
    plan, _ = planner.build_plan(state(want("img", workflow_version="v2")), [have("id-1", "img")])
    assert any("rolling restart" in w for w in plan.changes[0].warnings)


def test_target_patterns_that_match_no_declared_deployment_are_errors_with_a_did_you_mean() -> None:
    problems = targets.unmatched(("media-imgg", "media-*", "nothing*"), ["media-img", "media-vid", "txt"])
    assert [p.format() for p in problems] == [
        "--target: 'media-imgg' matches no declared deployment (hint: did you mean 'media-img'?)",
        "--target: 'nothing*' matches no declared deployment (hint: declared: media-img, media-vid, txt)",
    ]


def test_plan_refuses_a_target_that_matches_nothing() -> None:
    desired = state(want("img"), want("vid"))
    _, problems = planner.build_plan(desired, [], planner.PlanOptions(targets=("imgg",)))
    assert [p.message for p in problems] == ["'imgg' matches no declared deployment"]


def test_plan_accepts_a_target_naming_a_live_deployment_it_would_prune() -> None:
    from reconciler.manifest.model import PruneSettings

    desired = DesiredState(
        deployments=(want("img"),), presets={},
        settings=SettingsSpec(prune=PruneSettings(enabled=True, match=["*"])), files=("m",),
    )
    plan, problems = planner.build_plan(desired, [have("id-9", "old")], planner.PlanOptions(targets=("old",)))
    assert problems == []
    assert [c.name for c in plan.changes] == ["old"]


def test_selecting_by_patterns() -> None:
    assert targets.selected("media-img", ("media-*",))
    assert targets.selected("anything", ())
    assert not targets.selected("txt", ("media-*",))
