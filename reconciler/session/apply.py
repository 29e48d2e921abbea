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

A change with a rollout (``rollout: {strategy: candidate}``, ``apply --candidate``) is first tried on a
candidate (:mod:`reconciler.session.candidates`), and after the switch always smoke-tested and rolled back
on failure.
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
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import cancelling, candidates, executor, observe, planfiles, rollback
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
    rolled_out: bool = False
    """Whether a change went through a candidate and was switched (its smoke test and rollback were armed)."""

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
    app.out.note(f"Applying the saved plan {plan_file} ({plan.checksum()}): still current")
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

    Changes with a rollout go through their candidates first (:mod:`reconciler.session.candidates`): only
    those whose candidate passed are executed, each is smoke-tested after the switch and rolled back if that
    fails (whatever ``smoke`` and ``rollback_on_smoke_failure`` say), and every candidate is deleted.
    ``keep_outputs`` keeps the smoke tests' pictures for the HTML gallery (``apply --smoke --html``).
    """
    client = planned.client
    if client is None:
        raise ReconcilerError("a plan made from a live snapshot is applied from its saved file (`apply PLANFILE`)")
    gate = candidates.prepare(
        planned.plan, planned.desired, client=client, secrets=secrets_of(planned.desired),
        make_progress=smoke_progress, journal=journal(app, "smoke"),
    )
    try:
        report, smoke_report = _execute_and_smoke(app, planned, client, gate, hooks=hooks, fail_fast=fail_fast,
                                                  smoke=smoke, rollback_on_smoke_failure=rollback_on_smoke_failure,
                                                  smoke_progress=smoke_progress, keep_outputs=keep_outputs)
    except BaseException:
        gate.clean_up(client)
        raise
    report = gate.finish(report, client)
    report = report.model_copy(update={"environment": planned.plan.environment})
    return Applied(report=report, smoke=smoke_report, rolled_out=bool(gate.owners))


def _execute_and_smoke(
    app: Session,
    planned: Planned,
    client: RunComfyClient,
    gate: candidates.Gate,
    *,
    hooks: executor.ApplyHooks,
    fail_fast: bool,
    smoke: bool,
    rollback_on_smoke_failure: bool,
    smoke_progress: SmokeProgressFactory,
    keep_outputs: bool = False,
) -> tuple[ApplyReport, SmokeReport | None]:
    """Execute what the candidates let through, smoke-test it (every switched rollout always), roll back as
    asked (a switched rollout always); the candidates' own tests lead the smoke report."""
    if gate.interrupted:  # Ctrl-C while the candidates were made or tested: nothing else is applied
        return gate.with_blocked(ApplyReport(interrupted=True)), gate.with_candidate_results(None)
    report = executor.execute(
        gate.plan, client=client, secrets=secrets_of(planned.desired), hooks=hooks, fail_fast=fail_fast
    )
    report = gate.with_blocked(report)
    smoke_report = None
    if (smoke or gate.owners) and not report.interrupted:
        smoke_report = _smoke_changed(app, planned, client, report, smoke_progress, only=None if smoke else gate.owners,
                                      keep_outputs=keep_outputs)
        failed = [r.name for r in smoke_report.results if r.status.is_problem]
        undo = failed if rollback_on_smoke_failure else [name for name in failed if name in gate.owners]
        if undo:
            report = rollback.rollback(planned.plan, report, undo, client=client)
    return report, gate.with_candidate_results(smoke_report)


def _smoke_changed(
    app: Session, planned: Planned, client: RunComfyClient, report: ApplyReport,
    make_progress: SmokeProgressFactory, only: frozenset[str] | None = None, *, keep_outputs: bool = False,
) -> SmokeReport:
    """Smoke-test the declared deployments this apply created, updated or replaced (those in ``only``)."""
    touched = {o.name for o in report.changes if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE}
    if only is not None:
        touched &= only
    chosen = [d for d in planned.desired.deployments if d.name in touched and not d.is_absent]
    cancel = cancelling.cancel_command(app, planned.desired)
    smoke_report = runner.run_smoke(
        planned.desired, chosen, client=client, progress=make_progress([d.name for d in chosen]),
        journal=journal(app, "smoke"), cancel_command=cancel, keep_outputs=keep_outputs,
    )
    cancelling.report_still_running(app, smoke_report, cancel)
    return dataclasses.replace(smoke_report, environment=planned.plan.environment)
