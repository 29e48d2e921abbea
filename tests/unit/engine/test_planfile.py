"""Saved plan files: any edit after they were written is refused; parts that disagree are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.diagnostics import Location
from reconciler.engine import live, planfile, planner
from reconciler.engine.plan import Plan
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredDeployment, DesiredState
from reconciler.manifest.model import SettingsSpec
from reconciler.session import planfiles
from support.specs import SPEC


def _plan() -> Plan:
    wanted = [
        DesiredDeployment(name="a", fields={**SPEC, "max_instances": 5}, source=Location("a.yaml", 1, 1)),
        DesiredDeployment(name="b", fields={**SPEC, "queue_size": 3}, source=Location("b.yaml", 1, 1)),
    ]
    state = DesiredState(deployments=tuple(wanted), presets={}, settings=SettingsSpec(), files=("a.yaml",))
    current = live.from_api_list([{"id": "d1", "name": "a", **SPEC, "max_instances": 4, "hardware": ["AMPERE_48"]}])
    plan, problems = planner.build_plan(state, current)
    assert problems == []
    return plan


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


DATA = json.loads(_plan().to_json())
COMPUTED = {"summary", "monthly_cost_delta", "checksum"}
EDITABLE = [p for p in _leaves(DATA) if p[0] not in COMPUTED and p[-1] != "monthly_cost_delta"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(EDITABLE), replacement=st.one_of(st.integers(0, 99), st.text(max_size=5), st.booleans()))
def test_any_edit_of_a_saved_plan_is_refused(tmp_path: Path, path: tuple[Any, ...], replacement: Any) -> None:
    data = json.loads(json.dumps(DATA))
    original = data
    for key in path[:-1]:
        original = original[key]
    if original[path[-1]] == replacement:
        return
    _set(data, path, replacement)
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(data))
    with pytest.raises(ReconcilerError):
        planfiles.load(file)


def test_an_untouched_plan_loads_back_equal(tmp_path: Path) -> None:
    plan = _plan()
    planfiles.save(plan, tmp_path / "plan.json")
    assert planfiles.load(tmp_path / "plan.json") == plan
    assert planfile.disagreements(plan) == []


def test_a_diff_and_after_that_disagree_are_named() -> None:
    plan = _plan()
    change = next(c for c in plan.changes if c.name == "a")
    bad = change.model_copy(update={"after": {**(change.after or {}), "max_instances": 30, "queue_size": 9}})
    problems = planfile.disagreements(plan.model_copy(update={"changes": [bad]}))
    assert problems == ["a: after.max_instances is 30 but the diff says 5",
                        "a: after.queue_size is 9 but the diff leaves it at 1"]
