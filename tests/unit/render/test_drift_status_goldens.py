"""Golden files for drift (text, colour text, JSON, Markdown) and status (text, colour text, JSON).

The reports are built by the real builders (``build_drift``, ``build_status``) from a hand-built
Plan and live deployments covering every kind: a drifted deployment (with a sensitive field and an
error status), a rename, a replace, a ``state: absent`` deployment still live, a missing one,
unmanaged ones inside a prune scope (delete and pause) and outside it, one in sync but failing.
Regenerate with ``UPDATE_GOLDENS=1`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler import catalog
from reconciler.engine import planner
from reconciler.engine.drift import DriftKind, DriftReport, build_drift
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import Action, FieldChange, Plan, ResourceChange, UnmanagedDeployment
from reconciler.engine.status import SyncState, build_status, file_line
from reconciler.render.drift import ago, render_drift
from reconciler.render.status import render_status
from support import golden
from support.specs import SPEC

GOLDEN = Path(__file__).parent / "golden"
SECRET = "sk-live-TOPSECRET-4242"


def assert_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with ``golden/<name>`` (:func:`support.golden.assert_golden`)."""
    golden.assert_golden(GOLDEN / name, actual)


CHECKED_AT = "2026-03-02T12:00:00+00:00"
APPLY = "comfyops apply -f deploy"
BASE = SPEC
PRUNE = f"{planner.PRUNE_REASON} 'media-*'"


def _live(dep_id: str, name: str, updated_at: str, status: str = "standby", **fields: object) -> LiveDeployment:
    return LiveDeployment(id=dep_id, name=name, fields={**BASE, **fields}, status=status, updated_at=updated_at)


LIVE = [
    _live("dep-upd", "media-update", "2026-03-02T09:00:00+00:00", status="error", min_instances=2,
          max_instances=3, workflow_version=SECRET),
    _live("dep-ren", "media-old", "2026-03-02T11:58:30+00:00"),
    _live("dep-rep", "media-replace", "2026-02-20T12:00:00Z", workflow_id="wf-9"),
    _live("dep-abs", "media-gone", "2026-03-02T11:00:00+00:00"),
    _live("dep-prd", "media-stray", "2026-03-01T12:00:00+00:00", min_instances=1),
    _live("dep-prp", "media-paused-stray", "2026-03-01T12:00:00+00:00"),
    _live("dep-ok", "media-ok", "2026-03-01T12:00:00+00:00", min_instances=1),
    _live("dep-bad", "media-broken", "2026-03-02T11:59:50+00:00", status="unhealthy"),
    _live("dep-leg", "legacy", "2025-12-01T00:00:00+00:00"),
]


def sample_plan() -> Plan:
    """One change of every kind drift and status tell apart."""
    return Plan(
        comfyops_version="0.1.0",
        changes=[
            ResourceChange(name="media-broken", id="dep-bad", action=Action.NOOP, reason="in sync",
                           source="deploy/broken.yaml:3:3"),
            ResourceChange(name="media-gone", id="dep-abs", action=Action.DELETE, reason=planner.ABSENT_REASON,
                           source="deploy/gone.yaml:3:3", before={"name": "media-gone", **BASE}),
            ResourceChange(name="media-missing", action=Action.CREATE, reason="not in RunComfy",
                           source="deploy/missing.yaml:3:3",
                           after={"name": "media-missing", **BASE, "max_instances": 2},
                           diff=[FieldChange(field="workflow_id", after="wf-1")]),
            ResourceChange(name="media-ok", id="dep-ok", action=Action.NOOP, reason="in sync",
                           source="deploy/ok.yaml:3:3"),
            ResourceChange(name="media-paused-stray", id="dep-prp", action=Action.UPDATE,
                           reason=f"{PRUNE} (prune action: pause)", source="deploy/settings.yaml:2:1",
                           diff=[FieldChange(field="is_enabled", before=True, after=False)]),
            ResourceChange(name="media-renamed", id="dep-ren", action=Action.UPDATE, reason="renamed from 'media-old'",
                           source="deploy/renamed.yaml:3:3",
                           diff=[FieldChange(field="name", before="media-old", after="media-renamed")]),
            ResourceChange(name="media-replace", id="dep-rep", action=Action.REPLACE,
                           reason="workflow_id changed (it cannot be updated in place)",
                           source="deploy/replace.yaml:3:3",
                           diff=[FieldChange(field="workflow_id", before="wf-9", after="wf-1")]),
            ResourceChange(name="media-stray", id="dep-prd", action=Action.DELETE, reason=PRUNE,
                           source="deploy/settings.yaml:2:1"),
            ResourceChange(name="media-update", id="dep-upd", action=Action.UPDATE, reason="settings differ",
                           source="deploy/update.yaml:3:3", sensitive_fields=["workflow_version"],
                           diff=[FieldChange(field="workflow_version", sensitive=True),
                                 FieldChange(field="min_instances", before=2, after=0)]),
        ],
        unmanaged=[UnmanagedDeployment(name="legacy", id="dep-leg")],
    )


def drift_report(smoke: bool = True) -> DriftReport:
    smoke_data = {
        "format_version": 1, "ok": False, "interrupted": False, "duration_seconds": 3.2, "notes": [],
        "summary": {"pass": 1, "fail": 1, "error": 0, "skipped": 1},
        "results": [
            {"name": "media-ok", "status": "pass", "reason": ""},
            {"name": "media-update", "status": "fail", "reason": "outputs.\"9\".images.count: expected 1, got 0"},
            {"name": "media-missing", "status": "skipped", "reason": "not live"},
        ],
    } if smoke else None
    return build_drift(sample_plan(), LIVE, checked_at=CHECKED_AT, apply_command=APPLY, smoke=smoke_data)


def in_sync_report() -> DriftReport:
    plan = Plan(changes=[ResourceChange(name="media-ok", id="dep-ok", action=Action.NOOP, reason="in sync")])
    return build_drift(plan, LIVE, checked_at=CHECKED_AT, apply_command=APPLY)


DRIFT_FORMATS = [("text", "txt", False), ("text", "color.txt", True), ("json", "json", False),
                 ("markdown", "md", False)]


@pytest.mark.parametrize(("fmt", "ext", "color"), DRIFT_FORMATS)
@pytest.mark.parametrize("case", ["mixed", "in_sync"])
def test_drift_matches_golden(case: str, fmt: str, ext: str, color: bool) -> None:
    report = drift_report() if case == "mixed" else in_sync_report()
    assert_golden(f"drift_{case}.{ext}", render_drift(report, fmt, color=color))


@pytest.mark.parametrize(("fmt", "ext", "color"), [("text", "txt", False), ("text", "color.txt", True),
                                                   ("json", "json", False)])
def test_status_matches_golden(fmt: str, ext: str, color: bool) -> None:
    report = build_status(sample_plan(), LIVE, dict(catalog.HOURLY_PRICE_USD))
    assert_golden(f"status_mixed.{ext}", render_status(report, fmt, color=color))


def test_drift_kinds_and_fields_are_read_off_the_plan() -> None:
    report = drift_report()
    kinds = {d.name: d.kind for d in report.deployments}
    assert kinds == {
        "media-broken": DriftKind.ERROR, "media-gone": DriftKind.DRIFTED, "media-missing": DriftKind.MISSING,
        "media-paused-stray": DriftKind.UNMANAGED, "media-renamed": DriftKind.DRIFTED,
        "media-replace": DriftKind.DRIFTED, "media-stray": DriftKind.UNMANAGED, "media-update": DriftKind.DRIFTED,
    }
    assert report.in_sync == ["media-ok"]
    update = next(d for d in report.deployments if d.name == "media-update")
    assert [(f.field, f.desired, f.live) for f in update.fields] == [("workflow_version", None, None),
                                                                     ("min_instances", 0, 2)]
    assert update.since == "2026-03-02T09:00:00+00:00" and update.status_is_error
    replace = next(d for d in report.deployments if d.name == "media-replace")
    assert replace.fix == "comfyops apply -f deploy --allow-replace --target media-replace"
    assert report.summary.model_dump() == {"drifted": 4, "missing": 1, "unmanaged": 2, "error": 1, "in_sync": 1}


def test_drift_json_has_one_row_per_drifted_field_for_scripts() -> None:
    data = json.loads(render_drift(drift_report(), "json"))
    assert data["format_version"] == 1 and data["drift"] is True
    row = next(r for r in data["fields"] if r["field"] == "min_instances")
    assert row == {"deployment": "media-update", "id": "dep-upd", "field": "min_instances", "desired": 0, "live": 2,
                   "since": "2026-03-02T09:00:00+00:00", "sensitive": False}


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_drift_never_shows_a_sensitive_value(fmt: str) -> None:
    out = render_drift(drift_report(), fmt)
    assert SECRET not in out and "TOPSECRET" not in out


def test_in_sync_report_has_no_drift() -> None:
    report = in_sync_report()
    assert not report.has_drift
    assert "No drift. Live deployments match the manifests." in render_drift(report, "text")


def test_status_states_and_totals() -> None:
    report = build_status(sample_plan(), LIVE, dict(catalog.HOURLY_PRICE_USD))
    states = {r.name: r.sync for r in report.rows}
    assert states == {
        "legacy": SyncState.UNMANAGED, "media-broken": SyncState.SYNCED, "media-gone": SyncState.PENDING_DELETE,
        "media-missing": SyncState.MISSING, "media-ok": SyncState.SYNCED,
        "media-paused-stray": SyncState.PENDING_DELETE, "media-renamed": SyncState.OUT_OF_SYNC,
        "media-replace": SyncState.OUT_OF_SYNC, "media-stray": SyncState.PENDING_DELETE,
        "media-update": SyncState.OUT_OF_SYNC,
    }
    assert report.counts() == {"Synced": 2, "OutOfSync": 3, "Unmanaged": 1, "Missing": 1, "PendingDelete": 3}
    # warm cost of live deployments only: media-update (2), media-ok (1), media-stray (1) on AMPERE_48
    assert report.monthly_cost == round(4 * 2.50 * 730, 2)


@pytest.mark.parametrize(("since", "expected"), [
    ("2026-03-02T11:59:58+00:00", "changed 2 s ago"),
    ("2026-03-02T11:57:00Z", "changed 3 min ago"),
    ("2026-03-02T09:00:00+00:00", "changed 3 h ago"),
    ("2026-02-20T12:00:00+00:00", "changed 10 days ago"),
    ("2026-03-02T13:00:00+00:00", "changed at 2026-03-02T13:00:00+00:00"),
    ("yesterday", "changed at yesterday"),
    (None, ""),
])
def test_ago(since: str | None, expected: str) -> None:
    assert ago(since, CHECKED_AT) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("a/b.yaml:3:5", "a/b.yaml:3"), ("a/b.yaml:3", "a/b.yaml:3"), ("a/b.yaml", "a/b.yaml"), (None, None),
])
def test_file_line(source: str | None, expected: str | None) -> None:
    assert file_line(source) == expected
