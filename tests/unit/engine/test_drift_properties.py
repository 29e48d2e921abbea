"""Properties of drift, status and import over the random desired and live states plan is tested with.

- drift reports exactly the deployments plan would change (plus error states), and counts every
  other one as in sync: it is plan's diff, not a second copy;
- status gives every live deployment one row, and its Synced rows are plan's no-ops;
- manifests imported from any live list load back and plan to no changes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given

from reconciler import catalog
from reconciler.engine import importer, live, planner
from reconciler.engine.drift import DriftKind, build_drift
from reconciler.engine.status import SyncState, build_status
from reconciler.manifest.desired import DesiredState
from reconciler.manifest.load import load_manifests
from unit.engine.test_properties import FAST, desired_states, live_lists


def _plan(desired: DesiredState, raw: list[dict[str, Any]]) -> tuple[Any, list[live.LiveDeployment]]:
    observed = live.from_api_list(raw)
    plan, _ = planner.build_plan(desired, observed, planner.PlanOptions(allow_replace=True, allow_empty=True))
    return plan, observed


@FAST
@given(desired=desired_states(), raw=live_lists())
def test_drift_is_exactly_what_plan_would_change(desired: DesiredState, raw: list[dict[str, Any]]) -> None:
    plan, observed = _plan(desired, raw)
    report = build_drift(plan, observed, checked_at="2026-01-01T00:00:00+00:00")
    changed = [(c.name, c.id) for c in plan.pending]
    assert [(d.name, d.id) for d in report.deployments if d.kind is not DriftKind.ERROR] == changed
    assert report.has_drift == (not plan.is_empty)  # the generated live states report no error status
    assert len(report.deployments) + len(report.in_sync) == len(plan.changes)
    for entry, change in zip([d for d in report.deployments if d.kind is DriftKind.DRIFTED],
                             [c for c in plan.pending if not planner.is_prune(c) and c.id is not None], strict=True):
        if change.diff:
            assert [f.field for f in entry.fields] == [fc.field for fc in change.diff]


@FAST
@given(desired=desired_states(), raw=live_lists())
def test_status_has_one_row_per_live_deployment(desired: DesiredState, raw: list[dict[str, Any]]) -> None:
    plan, observed = _plan(desired, raw)
    report = build_status(plan, observed, catalog.HOURLY_PRICE_USD)
    live_ids = sorted(d.id for d in observed)
    assert sorted(r.id for r in report.rows if r.id is not None) == live_ids
    synced = sorted(c.id or "" for c in plan.changes
                    if c.action.value == "noop" and c.id is not None and not planner.is_prune(c))
    assert sorted(r.id or "" for r in report.rows if r.sync is SyncState.SYNCED) == synced
    assert sum(report.counts().values()) == len(report.rows)


@FAST
@given(raw=live_lists(unique_names=True))
def test_imported_manifests_plan_no_changes(raw: list[dict[str, Any]]) -> None:
    observed = live.from_api_list(raw)
    items = importer.plan_import(observed, schema_ref="s.json")
    with tempfile.TemporaryDirectory() as folder:
        for item in items:
            (Path(folder) / item.manifest_file).write_text(item.text, encoding="utf-8")
        result = load_manifests([folder], env={}) if items else None
    if result is None:
        return
    assert result.state is not None, [p.format() for p in result.problems]
    plan, problems = planner.build_plan(result.state, observed)
    assert problems == []
    assert plan.is_empty, [(c.name, c.diff) for c in plan.pending]
