"""Property tests of plan and apply over random desired and live states (hypothesis).

Random ``DesiredState`` values are built from ``DesiredDeployment`` directly (valid ranges and SKUs,
names from a two-letter alphabet so that they collide with live names, previous names, absent
states, ignored fields, sensitive values, prune settings), and random live lists are raw API dicts
(hardware as a list or a string, defaulted fields sometimes omitted). Properties:

- plan is deterministic, and its JSON reads back to an equal Plan;
- apply, then observe and plan again: the plan is empty (STYLE C.16, level-based reconciliation);
- a plan with nothing but noops makes no API call at all, and a second plan+apply makes no mutating call.

Apply runs through a real ``RunComfyClient`` over ``httpx.MockTransport`` in front of a small fake of
the deployments API. Settings are derandomized, so every run tries the same examples.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from reconciler import catalog
from reconciler.diagnostics import Location
from reconciler.engine import live, planner
from reconciler.engine.plan import Action, Plan
from reconciler.manifest.desired import DesiredDeployment, DesiredState
from reconciler.manifest.model import PruneSettings, SettingsSpec
from reconciler.session import executor, observe
from support.fake_api import FakeDeploymentsApi, client_for

MUTATING = ("POST", "PATCH", "DELETE")

FAST = settings(
    derandomize=True, database=None, deadline=None, max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
APPLY = settings(FAST, max_examples=100)


# -- strategies --------------------------------------------------------------------------------

names = st.text(alphabet="ab", min_size=1, max_size=2)
workflow_ids = st.sampled_from(["wf-1", "wf-1", "wf-1", "wf-2"])  # mostly equal: more updates than replaces
versions = st.sampled_from(["v1", "v2"])
hardware = st.sampled_from(catalog.HARDWARE_SKUS)
keep_warm = st.sampled_from([0, 60, 300])


@st.composite
def desired_fields(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.integers(0, 3))
    return {
        "workflow_id": draw(workflow_ids),
        "workflow_version": draw(versions),
        "hardware": draw(hardware),
        "min_instances": low,
        "max_instances": draw(st.integers(max(1, low), 5)),
        "queue_size": draw(st.integers(1, 3)),
        "keep_warm_duration_in_seconds": draw(keep_warm),
        "is_enabled": draw(st.booleans()),
    }


@st.composite
def desired_deployments(draw: st.DrawFn, name: str, declared: frozenset[str]) -> DesiredDeployment:
    return DesiredDeployment(
        name=name,
        fields=draw(desired_fields()),
        source=Location(f"manifests/{name}.yaml", 1, 1),
        # the loader refuses a previous name that another manifest declares (load._deployments)
        previous_names=tuple(draw(st.lists(names.filter(lambda n: n not in declared), max_size=2, unique=True))),
        state=draw(st.sampled_from(["present", "present", "present", "absent"])),
        ignore_changes=frozenset(draw(st.sets(st.sampled_from(catalog.MANAGED_FIELDS), max_size=2))),
        sensitive_fields=frozenset(draw(st.sets(st.sampled_from(["workflow_version"]), max_size=1))),
    )


@st.composite
def desired_states(draw: st.DrawFn) -> DesiredState:
    chosen = draw(st.lists(names, max_size=5, unique=True))
    deployments = tuple(draw(desired_deployments(n, frozenset(chosen))) for n in chosen)
    prune = draw(
        st.one_of(
            st.just(PruneSettings()),
            st.builds(
                PruneSettings,
                enabled=st.just(True),
                match=st.lists(st.sampled_from(["a*", "b*", "*", "ab"]), min_size=1, max_size=2),
                action=st.sampled_from(["delete", "pause"]),
            ),
        )
    )
    return DesiredState(
        deployments=deployments, presets={}, settings=SettingsSpec(prune=prune), files=("manifests",)
    )


@st.composite
def live_lists(draw: st.DrawFn, unique_names: bool | None = None) -> list[dict[str, Any]]:
    # duplicate live names are legal (the API allows them) but a manifest naming one is a plan error
    unique = draw(st.sampled_from([True, True, True, False])) if unique_names is None else unique_names
    out = []
    for index, name in enumerate(draw(st.lists(names, max_size=5, unique=unique))):
        fields = draw(desired_fields())
        sku = fields.pop("hardware")
        record: dict[str, Any] = {"id": f"id-{index}", "name": name, **fields}
        record["hardware"] = draw(st.sampled_from([[sku], sku]))
        defaulted = [k for k, v in live.API_DEFAULTS.items() if live.normalize_hardware(record[k]) == v]
        for omitted in draw(st.sets(st.sampled_from(defaulted))) if defaulted else ():
            del record[omitted]  # the API may omit a field that holds its default
        out.append(record)
    return out


def secrets_of(desired: DesiredState) -> dict[str, dict[str, Any]]:
    return {d.name: {f: d.fields[f] for f in d.sensitive_fields} for d in desired.deployments}


def plan_of(desired: DesiredState, raw: list[dict[str, Any]]) -> tuple[Plan, list[Any]]:
    return planner.build_plan(desired, live.from_api_list(raw), planner.PlanOptions(allow_replace=True))


# -- properties --------------------------------------------------------------------------------


@FAST
@given(desired=desired_states(), raw=live_lists(), seed=st.randoms(use_true_random=False))
def test_plan_is_deterministic(desired: DesiredState, raw: list[dict[str, Any]], seed: Any) -> None:
    first, first_problems = plan_of(desired, raw)
    shuffled = list(copy.deepcopy(raw))
    seed.shuffle(shuffled)  # the API's list order must not matter
    second, second_problems = plan_of(desired, shuffled)
    assert first == second
    assert first.to_json() == second.to_json()
    assert first_problems == second_problems
    assert [(c.name, c.id or "") for c in first.changes] == sorted((c.name, c.id or "") for c in first.changes)


@FAST
@given(desired=desired_states(), raw=live_lists())
def test_plan_json_round_trips(desired: DesiredState, raw: list[dict[str, Any]]) -> None:
    plan, _ = plan_of(desired, raw)
    again = Plan.from_dict(json.loads(plan.to_json()))
    assert again == plan
    assert again.to_json() == plan.to_json()


@APPLY
@given(desired=desired_states(), raw=live_lists())
def test_apply_then_plan_is_empty_and_a_second_apply_makes_no_mutating_call(
    desired: DesiredState, raw: list[dict[str, Any]]
) -> None:
    fake = FakeDeploymentsApi(raw)
    client = client_for(fake)
    plan, problems = planner.build_plan(desired, observe.observe(client), planner.PlanOptions(allow_replace=True))
    assume(not problems)
    for action in sorted({c.action.value for c in plan.pending}):
        event(f"plan has a {action}")  # --hypothesis-show-statistics shows the mix

    report = executor.execute(plan, client=client, secrets=secrets_of(desired))
    assert not report.failed, report.to_json()
    assert [o.name for o in report.changes] == [c.name for c in executor.execution_order(plan)]

    again, problems = planner.build_plan(desired, observe.observe(client), planner.PlanOptions(allow_replace=True))
    assert problems == []
    assert again.is_empty, [(c.name, c.action.value, c.diff) for c in again.pending]

    fake.calls.clear()
    second = executor.execute(again, client=client, secrets=secrets_of(desired))
    assert fake.mutating_calls == []
    assert fake.calls == []  # nothing applied, so not even the read-back list
    assert second.changes == [] and not second.failed


@APPLY
@given(desired=desired_states(), raw=live_lists())
def test_a_plan_of_only_noops_makes_no_call(desired: DesiredState, raw: list[dict[str, Any]]) -> None:
    plan, _ = plan_of(desired, raw)
    noops = plan.model_copy(update={"changes": [c for c in plan.changes if c.action is Action.NOOP]})
    assert noops.is_empty
    fake = FakeDeploymentsApi(raw)
    report = executor.execute(noops, client=client_for(fake), secrets={})
    assert fake.calls == []
    assert report.changes == [] and not report.failed


@FAST
@given(raw=live_lists(unique_names=True))
def test_manifests_mirroring_live_plan_nothing(raw: list[dict[str, Any]]) -> None:
    """Desired state written from live essences (whatever shape the API used) is in sync."""
    current = live.from_api_list(raw)
    desired = DesiredState(
        deployments=tuple(
            DesiredDeployment(
                name=d.name,
                fields=dict(d.fields),
                source=Location("m.yaml", 1, 1),
            )
            for d in current
        ),
        presets={}, settings=SettingsSpec(), files=("m.yaml",),
    )
    plan, problems = planner.build_plan(desired, current)
    assert problems == []
    assert plan.is_empty, [(c.name, c.diff) for c in plan.pending]


def test_absent_with_both_its_name_and_a_previous_name_live_is_a_plan_error() -> None:
    """Deleting one now and the other on the next run would not converge: refuse and say how to pin."""
    spec = {"workflow_id": "wf-1", "workflow_version": "v1", "hardware": ["AMPERE_48"]}
    fake = FakeDeploymentsApi([{"id": "id-a", "name": "a", **spec}, {"id": "id-b", "name": "b", **spec}])
    client = client_for(fake)
    desired = DesiredState(
        deployments=(
            DesiredDeployment(name="a", fields={**live.API_DEFAULTS, "workflow_id": "wf-1", "workflow_version": "v1"},
                              source=Location("a.yaml", 1, 1), previous_names=("b",), state="absent"),
        ),
        presets={}, settings=SettingsSpec(), files=("a.yaml",),
    )
    _plan, problems = planner.build_plan(desired, observe.observe(client))
    assert [p.format() for p in problems] == [
        "a.yaml:1:1: metadata.previous_names: both 'a' and its previous name 'b' are live; state: absent is "
        "ambiguous (hint: pin the one to delete with metadata.id, or remove 'b' from previous_names)"
    ]
