"""The apply use case: a reviewed plan (new or saved) executed, then smoke-tested, then rolled back where asked.

Effectful orchestration, no printing: progress goes to the hooks and the progress display the command
passes in, and the outcome comes back as an :class:`Applied` for the command to render. The sequence:

1. :func:`saved_plan` reads a plan file and refuses it when the manifests or live state changed since;
   (a new plan comes from :func:`reconciler.session.planning.make_plan`);
2. :func:`apply_plan` executes it (:mod:`reconciler.session.executor`), with the client that read live
   state for the plan (one client per session);
3. with ``smoke``, the deployments it created or changed are smoke-tested;
4. with ``rollback_on_smoke_failure``, the ones whose smoke test failed are rolled back
   (:mod:`reconciler.session.rollback`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.engine import planfile
from reconciler.engine.plan import Action, Plan
from reconciler.engine.report import ApplyReport, Outcome
from reconciler.errors import ReconcilerError
from reconciler.followup import Invocation
from reconciler.manifest.desired import DesiredState
from reconciler.session import cancelling, executor, observe, planfiles, rollback
from reconciler.session.planning import Planned, connect, refuse_denied, secrets_of
from reconciler.session.recording import journal
from reconciler.session.session import Session
from reconciler.smoke import runner
from reconciler.smoke.progress import Progress
from reconciler.smoke.report import SmokeReport

DesiredStateLoader = Callable[[tuple[str, ...], str | None], DesiredState]
"""Loads the manifests (files, environment) the way the command does, its problems reported."""
SmokeProgressFactory = Callable[[list[str]], Progress]
"""Makes the smoke progress display for the deployments about to be tested."""


@dataclass(frozen=True)
class Applied:
    """What apply did: the apply report and, with ``--smoke``, the smoke report."""

    report: ApplyReport
    smoke: SmokeReport | None = None

    @property
    def interrupted(self) -> bool:
        """Whether Ctrl-C stopped apply or its smoke tests."""
        return self.report.interrupted or (self.smoke is not None and self.smoke.interrupted)

    @property
    def failed(self) -> bool:
        """Whether a change failed, or a smoke test did."""
        return bool(self.report.failed) or (self.smoke is not None and not self.smoke.ok)


def saved_plan(app: Session, plan_file: Path, desired_for: DesiredStateLoader, allow_replace: bool,
               environment: str | None) -> Planned:
    """A saved plan, checked against the manifests and live state as they are now (stale: refused).

    ``desired_for(files, environment)`` loads the manifests: the command's ``-f`` files, else the ones the
    plan recorded.
    """
    plan = planfiles.load(plan_file)
    planfile.check_environment(plan, plan_file, environment)
    if allow_replace and not plan.allow_replace:
        plan = plan.model_copy(update={"allow_replace": True})
    refuse_denied(plan)
    desired = desired_for(tuple(plan.manifest_files), plan.environment)
    replan = Invocation(tuple(app.global_args()), tuple(plan.manifest_files), plan.environment).command(
        "plan", "--out", "FILE")
    _refuse_elsewhere(app, plan, plan_file, desired, replan)
    client = connect(app, desired, register_workflows=True)
    live = observe.observe(client)
    reasons = planfile.stale_reasons(plan, desired, live, app.endpoint)
    if reasons:
        raise ReconcilerError(
            f"plan is stale: {reasons[0]}" + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""),
            "\n".join([*reasons[1:], f"re-run `{replan}` and review the new plan"]),
        )
    return Planned(plan=plan, desired=desired, live=live, client=client)


def _refuse_elsewhere(app: Session, plan: Plan, plan_file: Path, desired: DesiredState, replan: str) -> None:
    """Refuse, before any call, a plan made against another API (the emulator, another URL)."""
    environment = desired.environment
    where = app.endpoint_for(api_url=environment.api_url if environment is not None else None,
                             environment=desired.environment_name, manifests=desired.files)
    reason = planfile.elsewhere(plan, where)
    if reason:
        emulated = plan.endpoint.startswith("emulator")
        raise ReconcilerError(
            f"plan is stale: {reason}; nothing was called",
            "it was made against the emulator: "
            + Invocation(global_args=("--emulator",)).command("apply", str(plan_file), options=()) if emulated
            else f"re-run `{replan}` against this API and review the new plan",
        )


def apply_plan(
    app: Session,
    planned: Planned,
    *,
    hooks: executor.ApplyHooks,
    fail_fast: bool,
    smoke: bool,
    rollback_on_smoke_failure: bool,
    smoke_progress: SmokeProgressFactory,
    keep_outputs: bool = False,
) -> Applied:
    """Execute ``planned``, then smoke-test and roll back as asked; the reports say what happened.

    ``keep_outputs`` keeps the smoke tests' pictures for the HTML gallery (``apply --smoke --html``).
    """
    report = executor.execute(
        planned.plan, client=planned.client, secrets=secrets_of(planned.desired), hooks=hooks, fail_fast=fail_fast
    )
    smoke_report = None
    if smoke and not report.interrupted:
        smoke_report = _smoke_changed(app, planned, report, smoke_progress, keep_outputs=keep_outputs)
        if rollback_on_smoke_failure and not smoke_report.ok:
            failed = [r.name for r in smoke_report.results if r.status.is_problem]
            report = rollback.rollback(planned.plan, report, failed, client=planned.client)
    report = report.model_copy(update={"environment": planned.plan.environment})
    return Applied(report=report, smoke=smoke_report)


def _smoke_changed(
    app: Session, planned: Planned, report: ApplyReport, make_progress: SmokeProgressFactory, *,
    keep_outputs: bool = False,
) -> SmokeReport:
    """Smoke-test the declared deployments this apply created, updated or replaced."""
    touched = {o.name for o in report.changes if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE}
    chosen = [d for d in planned.desired.deployments if d.name in touched and not d.is_absent]
    cancel = cancelling.cancel_command(app, planned.desired)
    smoke_report = runner.run_smoke(
        planned.desired, chosen, client=planned.client, progress=make_progress([d.name for d in chosen]),
        journal=journal(app, "smoke"), cancel_command=cancel, keep_outputs=keep_outputs,
    )
    cancelling.report_still_running(app, smoke_report, cancel)
    return dataclasses.replace(smoke_report, environment=planned.plan.environment)

