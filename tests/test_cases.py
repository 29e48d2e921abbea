"""Golden scenarios: manifests + live.json -> plan.json, plan.txt and plan.md (or error.txt).

Each folder under ``tests/cases/`` holds ``manifests/``, ``live.json`` (the API's list response),
optional ``options.json`` (``targets``, ``allow_replace``, ``allow_empty``, ``candidate``, ``environment``,
``show_unmanaged``) and ``env.json``, and ``expected/``. The full path runs: load -> normalise live -> build_plan
-> render. An expected failure is stated by ``expected/error.txt`` (never guessed from the folder name). Regenerate with
``UPDATE_GOLDENS=1 python -m pytest tests/test_cases.py`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.engine import live, planner
from reconciler.engine.plan import Plan
from reconciler.manifest.load import load_manifests
from reconciler.render import render_plan
from support.golden import assert_golden

CASES = Path(__file__).parent / "cases"


def _scenarios() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "manifests").is_dir())


def _plan_for(case: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Plan | None, str]:
    monkeypatch.chdir(case)
    env = json.loads((case / "env.json").read_text()) if (case / "env.json").is_file() else {}
    options = json.loads((case / "options.json").read_text()) if (case / "options.json").is_file() else {}
    result = load_manifests(["manifests"], env=env, environment=options.get("environment"))
    if result.state is None:
        return None, "\n".join(d.format() for d in result.problems) + "\n"
    observed = live.from_api_list(json.loads((case / "live.json").read_text()))
    plan, problems = planner.build_plan(
        result.state,
        observed,
        planner.PlanOptions(
            targets=tuple(options.get("targets", ())),
            allow_replace=options.get("allow_replace", False),
            allow_empty=options.get("allow_empty", False),
            candidate=options.get("candidate", False),
        ),
    )
    if problems:
        return None, "\n".join(d.format() for d in problems) + "\n"
    return plan, ""


@pytest.mark.parametrize("scenario", _scenarios())
def test_scenario_matches_goldens(scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES / scenario
    expected = case / "expected"
    plan, error = _plan_for(case, monkeypatch)
    if plan is None:
        assert_golden(expected / "error.txt", error)
        return
    assert not (expected / "error.txt").exists(), f"{scenario} expected an error but planned fine"
    assert_golden(expected / "plan.json", render_plan(plan, "json"))
    options = json.loads((case / "options.json").read_text()) if (case / "options.json").is_file() else {}
    shown = options.get("show_unmanaged", False)
    assert_golden(expected / "plan.txt", render_plan(plan, "text", show_unmanaged=shown))
    assert_golden(expected / "plan.md", render_plan(plan, "markdown", show_unmanaged=shown))
    assert Plan.from_dict(json.loads(render_plan(plan, "json"))) == plan


def test_every_action_is_covered_by_some_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: set[str] = set()
    for scenario in _scenarios():
        plan_file = CASES / scenario / "expected" / "plan.json"
        if plan_file.is_file():
            seen.update(c["action"] for c in json.loads(plan_file.read_text())["changes"])
    assert seen == {"create", "update", "replace", "delete", "noop"}
