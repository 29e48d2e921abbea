"""One reconcile pass: observe (one list call), compare, and report or heal by the environment's ``drift.mode``.

Effectful orchestration, no click and no printing: the CLI loads the manifests, builds the client and the
policy check, and renders the returned ``ReconcileReport``. The comparison is plan's own (``engine.build``), the
drift report the drift command's (``engine.drift``), the choice of what heal may apply ``engine.heal``, and
applying is apply's (``engine.apply``): there is no second diff engine.

Heal acts only when the mode is ``heal``, no pause holds (``session.pause``), an apply window is open
(``session.windows``), and the Rego policies do not deny the heal plan; otherwise the pass reports and says why.

"Applied before" (what heal may re-create): the deployments this working copy has seen live under a manifest
of the same name, kept in ``.comfyops/reconcile/seen-<environment>.json`` by every pass (and by heal's own
creates). A fresh CI checkout has none, so there heal creates nothing unless ``drift.heal_creates: true``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reconciler import readfile, workspace
from reconciler.diagnostics import Diagnostic
from reconciler.engine import drift, heal, planner
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import Action, Plan
from reconciler.engine.reconcile import HealOutcome, ReconcileReport
from reconciler.engine.report import Outcome
from reconciler.errors import DiagnosticsError
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import executor, observe, pause, windows
from reconciler.session.executor import ApplyHooks
from reconciler.smoke.report import SmokeReport

_APPLY_ONLY_FIELDS = frozenset({"spec.protect"})
"""Plan rules that guard applying only: a pass still reports; heal leaves those deployments (engine.heal)."""


@dataclass
class PassInputs:
    """What one pass needs besides the manifests and the client."""

    now: datetime
    pause: pause.Pause | None = None
    seen_file: Path | None = None
    commit: str | None = None
    apply_command: str = "comfyops apply"
    check_policy: Callable[[Plan], Plan] = field(default=lambda plan: plan)
    """Attaches the Rego results to a plan (``cli.planning.with_policy``); identity without policies."""
    secrets: dict[str, dict[str, object]] = field(default_factory=dict)
    """Deployment name -> sensitive field -> value, for apply to fill in what the plan masks."""
    hooks: ApplyHooks | None = None
    smoke: Callable[[list[str]], SmokeReport] | None = None
    """With ``--smoke``: smoke-tests the named deployments (those heal created or changed)."""


@dataclass(frozen=True)
class PassOutcome:
    """The report, the plan problems worth printing, and the live deployments it was made from."""

    report: ReconcileReport
    warnings: list[Diagnostic]
    live: list[LiveDeployment]


def run_pass(desired: DesiredState, client: RunComfyClient, inputs: PassInputs) -> PassOutcome:
    """Observe, compare and act once; the report says what was found, done and left."""
    live = observe.observe(client)
    options = planner.PlanOptions(allow_replace=True, allow_empty=True)
    plan, problems = planner.build_plan(desired, live, options)
    problems = [p for p in problems if p.field_path not in _APPLY_ONLY_FIELDS]
    errors = [p for p in problems if p.is_error]
    if errors:
        raise DiagnosticsError(errors, f"cannot compare: {len(errors)} problem{'s' if len(errors) != 1 else ''}")
    checked_at = inputs.now.isoformat(timespec="seconds")
    found = drift.build_drift(plan, live, checked_at=checked_at, apply_command=inputs.apply_command)
    settings = desired.settings.drift
    notes = [e.describe().replace("ignore_changes rule", f"{d.name}: ignore_changes rule", 1)
             for d in desired.deployments for e in d.expired_ignores]
    seen = _read_seen(inputs.seen_file)
    seen |= {c.name for c in plan.changes if c.id is not None and desired.deployment(c.name) is not None}
    report = ReconcileReport(
        environment=desired.environment_name, commit=inputs.commit, mode=settings.mode, drift=found, notes=notes
    )
    if inputs.pause is not None:
        report = _note(report, inputs.pause.describe(inputs.now))
    if settings.mode == "heal" and found.has_drift:
        blocked = _blocked(desired, inputs)
        if blocked:
            report = report.model_copy(update={"heal_blocked": blocked})
        else:
            report, created = _heal(desired, client, inputs, plan, seen, report)
            seen |= created
    _write_seen(inputs.seen_file, seen)
    return PassOutcome(report=report, warnings=[p for p in problems if not p.is_error], live=live)


def _note(report: ReconcileReport, note: str) -> ReconcileReport:
    return report.model_copy(update={"notes": [*report.notes, note]})


def _blocked(desired: DesiredState, inputs: PassInputs) -> str:
    """Why heal may not act now ('' when it may): a pause, or no open apply window."""
    if inputs.pause is not None and inputs.pause.active(inputs.now):
        return f"paused (heal degrades to report): {inputs.pause.describe(inputs.now)}"
    spans = desired.settings.drift.windows
    if not windows.may_heal(spans, inputs.now):
        opening = windows.next_opening(spans, inputs.now)
        when = f"; the next opens at {opening:%Y-%m-%dT%H:%MZ}" if opening is not None else ""
        return f"outside the apply windows {', '.join(repr(w) for w in spans)} (heal degrades to report){when}"
    return ""


def _heal(
    desired: DesiredState,
    client: RunComfyClient,
    inputs: PassInputs,
    plan: Plan,
    seen: set[str],
    report: ReconcileReport,
) -> tuple[ReconcileReport, set[str]]:
    """Apply what heal may apply of ``plan``; the report with each heal's outcome, and the names created."""
    protected = {d.name for d in desired.deployments if d.protect}
    selection = heal.select(plan, seen=seen, heal_creates=desired.settings.drift.heal_creates, protected=protected)
    left = [HealOutcome(name=u.name, action=u.action.value, result="left", message=u.reason) for u in selection.left]
    if not desired.deployments:
        return report.model_copy(update={"heals": left, "heal_blocked": (
            "the manifests declare no deployment; heal never prunes everything (check the -f paths)")}), set()
    if selection.plan.is_empty:
        return report.model_copy(update={"heals": left}), set()
    checked = inputs.check_policy(selection.plan)
    if checked.policy is not None and checked.policy.denied:
        denials = "; ".join(f"{m.rule}: {m.message}" for m in checked.policy.denials)
        return report.model_copy(update={"heals": left, "heal_blocked": f"denied by policy ({denials})"}), set()
    applied = executor.execute(checked, client=client, secrets=inputs.secrets, hooks=inputs.hooks)
    if applied.interrupted:  # Ctrl-C mid-heal: the hooks said what happened; stop here, as apply does
        raise KeyboardInterrupt
    outcomes = [
        HealOutcome(name=o.name, action=o.action.value,
                    result="healed" if o.outcome is Outcome.APPLIED else "failed" if o.outcome is Outcome.FAILED
                    else "left", message=o.message)
        for o in applied.changes
    ]
    created = {o.name for o in applied.changes if o.outcome is Outcome.APPLIED and o.action is Action.CREATE}
    update: dict[str, object] = {
        "heals": [*outcomes, *left], "acted": bool(outcomes), "readback_problems": applied.readback_problems
    }
    touched = [o.name for o in applied.changes if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE]
    if inputs.smoke is not None and touched:
        smoked = inputs.smoke(touched)
        update["smoke"] = smoked.to_dict()
        update["smoke_failed"] = [r.name for r in smoked.results if r.status.is_problem]
    return report.model_copy(update=update), created


def _read_seen(path: Path | None) -> set[str]:
    """The names this working copy has seen live before (an unreadable record counts as none: fail closed)."""
    if path is None:
        return set()
    try:
        data = readfile.parse_json(readfile.read_text(path, limit=readfile.RECORD_LIMIT))
        return {str(n) for n in data.get("seen", [])}
    except (readfile.FileProblem, ValueError, AttributeError, TypeError):
        return set()


def _write_seen(path: Path | None, seen: set[str]) -> None:
    if path is None or seen == _read_seen(path):
        return
    workspace.write_text(path, json.dumps({"format_version": 1, "seen": sorted(seen)}, indent=2) + "\n")
