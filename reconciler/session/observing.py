"""The read-only use cases, drift and status: one list call, then plan's own matching and diff, for a report.

Effectful shell around the pure planner. Unlike ``plan``, a report is not refused for rules that
only guard *applying* (``protect``, the empty-manifest guard): drift and status show what is,
they change nothing. Problems that make the comparison itself impossible (two live deployments
under one name, a pinned id that does not exist) still fail, as in plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.engine import drift, planner, status, targets
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import Plan
from reconciler.errors import DiagnosticsError
from reconciler.followup import Invocation
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import cancelling, observe
from reconciler.session.planning import connect
from reconciler.session.session import Session
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport

_APPLY_ONLY_FIELDS = frozenset({"spec.protect", "spec.workflow_version"})
"""Plan rules that only guard apply; a read-only report ignores them."""


@dataclass
class Observed:
    """A plan made for a report, what it was made from, and the client that read it."""

    plan: Plan
    desired: DesiredState
    live: list[LiveDeployment]
    records: list[wire.Deployment]
    client: RunComfyClient


def observe_plan(
    app: Session, desired: DesiredState, target_patterns: tuple[str, ...] = (), *, will_smoke: bool = False
) -> Observed:
    """Read live state with one list call and plan against it; ``--target`` patterns must match.

    No workflow is registered with an ``--emulator`` (it serves the versions apply saved, as the API
    does), and a plain report (no ``will_smoke``) leaves the emulator's state untouched.
    """
    client = connect(app, desired, read_only=not will_smoke)
    records, live = observe.observe_with_wire(client)
    names = [d.name for d in desired.deployments] + [d.name for d in live]
    unmatched = targets.unmatched(target_patterns, names)
    if unmatched:
        app.out.diagnostics(unmatched)
        count = len(unmatched)
        raise DiagnosticsError(unmatched, f"--target: {count} pattern{'s match' if count != 1 else ' matches'} "
                                          "no deployment")
    options = planner.PlanOptions(targets=target_patterns, allow_replace=True, allow_empty=True)
    plan, problems = planner.build_plan(desired, live, options)
    problems = [p for p in problems if p.field_path not in _APPLY_ONLY_FIELDS]
    errors = [p for p in problems if p.is_error]
    app.out.diagnostics(problems)
    if errors:
        raise DiagnosticsError(errors, f"cannot compare: {len(errors)} problem{'s' if len(errors) != 1 else ''}")
    return Observed(plan=plan, desired=desired, live=live, records=records, client=client)


def drift_report(
    app: Session, desired: DesiredState, target_patterns: tuple[str, ...], *, files: tuple[str, ...], smoke: bool,
    checked_at: str,
) -> drift.DriftReport:
    """The drift use case: desired vs live, read-only; with ``smoke``, the smoke tests' results too."""
    observed = observe_plan(app, desired, target_patterns, will_smoke=smoke)
    smoke_data = _smoke(app, observed, target_patterns).to_dict() if smoke else None
    return drift.build_drift(
        observed.plan, observed.live, checked_at=checked_at,
        apply_command=apply_command(app, files, desired.environment_name),
        import_command=import_command(app, files, desired.environment_name), smoke=smoke_data,
    )


def _smoke(
    app: Session, observed: Observed, target_patterns: tuple[str, ...]
) -> SmokeReport:
    """Smoke-test the declared deployments with ``spec.smoke`` (targeted ones only), on the records
    the drift check already read, so no second list call is made."""
    chosen = [
        d for d in observed.desired.deployments
        if d.smoke is not None and not d.is_absent and targets.selected(d.name, target_patterns)
    ]
    cancel = cancelling.cancel_command(app, observed.desired)
    report = runner.run_smoke(observed.desired, chosen, client=observed.client,
                              progress=app.out.progress([d.name for d in chosen]), live=observed.records,
                              cancel_command=cancel)
    cancelling.report_still_running(app, report, cancel)
    if report.interrupted:
        raise KeyboardInterrupt
    return report


def status_report(app: Session, desired: DesiredState) -> status.StatusReport:
    """The status use case: every live deployment with its sync state against the manifests."""
    observed = observe_plan(app, desired)
    return status.build_status(observed.plan, observed.live, planner.prices_of(desired))


def apply_command(app: Session, files: tuple[str, ...], environment: str | None = None) -> str:
    """The ``comfyops [global options] apply [-f PATH]... [--env NAME]`` line a fix suggests."""
    return Invocation(tuple(app.global_args()), tuple(files), environment).command("apply")


def import_command(app: Session, files: tuple[str, ...], environment: str | None) -> str:
    """The ``comfyops [global options] import [-f PATH]... [--env NAME]`` line that keeps an unmanaged
    deployment (``--id`` follows)."""
    return Invocation(tuple(app.global_args()), tuple(files), environment).command("import")
