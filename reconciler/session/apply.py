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

With ``smoke``, each step is recorded in the apply journal before it is taken
(:mod:`reconciler.session.applyjournal`), and the entry removed when the job is complete; an apply killed
in between is finished by the next ``apply`` or ``smoke`` against the same target
(:func:`finish_interrupted`): it smoke-tests what was changed and not yet tested, and rolls back where the
interrupted run asked for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.engine import planfile
from reconciler.engine.plan import Action, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import applyjournal, cancelling, executor, observe, planfiles, rollback
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
    client = connect(app, desired, register_workflows=True)
    live = observe.observe(client)
    reasons = planfile.stale_reasons(plan, desired, live, app.endpoint)
    if reasons:
        raise ReconcilerError(
            f"plan is stale: {reasons[0]}" + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""),
            "\n".join([*reasons[1:], "re-run `comfyops plan --out FILE` and review the new plan"]),
        )
    return Planned(plan=plan, desired=desired, live=live, client=client)


class _Hooks:
    """The command's progress hooks, with each step recorded in the journal first."""

    def __init__(self, shown: executor.ApplyHooks, recorder: applyjournal.Recorder) -> None:
        self.shown = shown
        self.recorder = recorder

    def before_change(self, change: ResourceChange) -> None:
        """Record, then show, that ``change`` starts."""
        self.recorder.before_change(change)
        self.shown.before_change(change)

    def after_change(self, outcome: ChangeOutcome) -> None:
        """Record, then show, how a change ended."""
        self.recorder.after_change(outcome)
        self.shown.after_change(outcome)


def apply_plan(
    app: Session,
    planned: Planned,
    *,
    hooks: executor.ApplyHooks,
    fail_fast: bool,
    smoke: bool,
    rollback_on_smoke_failure: bool,
    smoke_progress: SmokeProgressFactory,
    journal_path: Path | None = None,
) -> Applied:
    """Execute ``planned``, then smoke-test and roll back as asked; the reports say what happened.

    With ``smoke`` and a ``journal_path``, every step is recorded there first, and the entry removed once
    the smoke tests (and rollbacks) are done; an interruption leaves it for the next run to finish."""
    recorder = None
    if smoke and journal_path is not None:
        recorder = applyjournal.Recorder.begin(
            journal_path, planned.plan, endpoint=app.endpoint, environment=planned.plan.environment,
            rollback=rollback_on_smoke_failure,
        )
        hooks = _Hooks(hooks, recorder)
    report = executor.execute(
        planned.plan, client=planned.client, secrets=secrets_of(planned.desired), hooks=hooks, fail_fast=fail_fast
    )
    smoke_report = None
    if smoke and not report.interrupted:
        if recorder is not None:
            recorder.phase(applyjournal.SMOKING)
        smoke_report = _smoke_changed(app, planned.desired, planned.client, report, smoke_progress)
        report = _roll_back_failed(planned, report, smoke_report, rollback_on_smoke_failure, recorder)
        if recorder is not None and not smoke_report.interrupted:
            recorder.done()
    report = report.model_copy(update={"environment": planned.plan.environment})
    return Applied(report=report, smoke=smoke_report)


def _roll_back_failed(planned: Planned, report: ApplyReport, smoke_report: SmokeReport, asked: bool,
                      recorder: applyjournal.Recorder | None) -> ApplyReport:
    """``report`` with the deployments whose smoke test failed rolled back, when ``asked``."""
    if not asked or smoke_report.ok:
        return report
    if recorder is not None:
        recorder.phase(applyjournal.ROLLING_BACK)
    failed = [r.name for r in smoke_report.results if r.status.is_problem]
    return rollback.rollback(planned.plan, report, failed, client=planned.client)


def _smoke_changed(
    app: Session, desired: DesiredState, client: RunComfyClient, report: ApplyReport,
    make_progress: SmokeProgressFactory,
) -> SmokeReport:
    """Smoke-test the declared deployments ``report`` shows created, updated or replaced."""
    touched = {o.name for o in report.changes if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE}
    chosen = [d for d in desired.deployments if d.name in touched and not d.is_absent]
    cancel = cancelling.cancel_command(app, desired)
    smoke_report = runner.run_smoke(
        desired, chosen, client=client, progress=make_progress([d.name for d in chosen]),
        journal=journal(app, "smoke"), cancel_command=cancel,
    )
    cancelling.report_still_running(app, smoke_report, cancel)
    return dataclasses.replace(smoke_report, environment=report.environment)


@dataclass(frozen=True)
class Finished:
    """An interrupted apply finished by this run: the journal entry, and what smoke and rollback did."""

    entry: applyjournal.Entry
    applied: Applied
    undeclared: tuple[str, ...] = ()
    """Deployments the interrupted apply changed that the manifests no longer declare (not smoke-tested)."""


def finish_interrupted(
    app: Session, desired: DesiredState, client: RunComfyClient, journal_path: Path,
    smoke_progress: SmokeProgressFactory,
) -> tuple[Finished | None, list[applyjournal.Entry]]:
    """Finish the job an ``apply --smoke`` against this target left in the journal (killed before its smoke
    tests or rollbacks were done): smoke-test what it changed, roll back failures if it was asked to, and
    remove its entry. Returns what was done (None when nothing was left) and the entries of other targets,
    which are left alone. Call it holding the apply lock, after ``client`` is built (so the endpoint is known).
    """
    entry, others = applyjournal.pending(journal_path, app.endpoint, desired.environment_name)
    if entry is None:
        return None, others
    unfinished = entry.unfinished()
    missing = [o.name for o in unfinished.changes if o.id is None and o.outcome is Outcome.APPLIED]
    if missing:  # a create killed before its id was recorded: found by name
        ids = {d.name: d.id for d in observe.observe(client)}
        unfinished = unfinished.model_copy(update={"changes": [
            o.model_copy(update={"id": ids.get(o.name)}) if o.name in missing else o for o in unfinished.changes
        ]})
    plan = entry.parsed_plan()
    declared = {d.name for d in desired.deployments if not d.is_absent}
    undeclared = tuple(o.name for o in unfinished.changes
                       if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE and o.name not in declared)
    smoke_report = _smoke_changed(app, desired, client, unfinished, smoke_progress)
    report = unfinished
    if entry.rollback and not smoke_report.ok and not smoke_report.interrupted:
        failed = [r.name for r in smoke_report.results if r.status.is_problem]
        report = rollback.rollback(plan, unfinished, failed, client=client)
    if not smoke_report.interrupted:
        applyjournal.clear(journal_path, entry)
    return Finished(entry=entry, applied=Applied(report=report, smoke=smoke_report), undeclared=undeclared), others
