"""The apply use case: a reviewed plan (new or saved) executed, then smoke-tested, then rolled back where asked.

Effectful orchestration, no printing: progress goes to the hooks the command passes in and to the output
object's smoke progress display, and the outcome comes back as an :class:`Applied` for the command to
render. The command's choices are one :class:`ApplyOptions` value. The sequence:

1. :func:`saved_plan` reads a plan file and refuses it when the manifests or live state changed since;
   (a new plan comes from :func:`reconciler.session.planning.make_plan`);
2. :func:`apply_plan` executes it (:mod:`reconciler.session.executor`), with the client that read live
   state for the plan (one client per session);
3. with ``smoke``, the deployments it created or changed are smoke-tested;
4. with ``rollback_on_smoke_failure``, the ones whose smoke test failed are rolled back
   (:mod:`reconciler.session.rollback`);
5. :func:`notify` sends the messages ``Settings.notify`` asks for (once the command has shown the report).

Whether a person confirms the plan first is :func:`needs_confirmation` (the prompt itself is the command's).

A change with a rollout (``rollout: {strategy: candidate}``, ``apply --candidate``) is first tried on a
candidate (:mod:`reconciler.session.candidates`), and after the switch always smoke-tested and rolled back
on failure.

Whenever a smoke test follows (``smoke``, or a rollout), each step is recorded in the apply journal before
it is taken (:mod:`reconciler.session.applyjournal`), and the entry removed when the job is complete; an
apply killed in between is finished by the next ``apply`` or ``smoke`` against the same target
(:func:`finish_interrupted`): it smoke-tests what was changed and not yet tested, and rolls back where the
interrupted run would have.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.engine import planfile
from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.errors import ReconcilerError
from reconciler.followup import Invocation
from reconciler.manifest.desired import DesiredState, secret_strings
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import applyjournal, cancelling, candidates, executor, observe, planfiles, rollback
from reconciler.session.planning import Planned, connect, refuse_denied, secrets_of
from reconciler.session.recording import journal
from reconciler.session.session import Session
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport

DesiredStateLoader = Callable[[tuple[str, ...], str | None], DesiredState]
"""Loads the manifests (files, environment) the way the command does, its problems reported."""


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


@dataclass(frozen=True)
class ApplyOptions:
    """How apply runs a reviewed plan: the command's choices, one value for the whole use case."""

    fail_fast: bool = False
    """Stop at the first failed change."""
    smoke: bool = False
    """Then smoke-test the deployments apply created or changed."""
    rollback_on_smoke_failure: bool = False
    """Roll back (restore, or pause a new one) each deployment whose smoke test failed."""
    keep_outputs: bool = False
    """Keep the smoke tests' pictures for the HTML gallery (``apply --smoke --html``)."""
    journal_path: Path | None = None
    """Record every step before a smoke test here first (the apply journal); None: no journal."""


def needs_confirmation(planned: Planned, *, saved: bool, auto_approve: bool) -> bool:
    """Whether a person must confirm ``planned`` before it runs: a new plan with changes, unless
    ``auto_approve``; a saved plan file was reviewed and approved when it was made (``apply PLANFILE``)."""
    return not (saved or auto_approve or planned.plan.is_empty)


def apply_plan(app: Session, planned: Planned, options: ApplyOptions, *, hooks: executor.ApplyHooks) -> Applied:
    """Execute ``planned``, then smoke-test and roll back as ``options`` ask; the reports say what happened.

    Changes with a rollout go through their candidates first (:mod:`reconciler.session.candidates`): only
    those whose candidate passed are executed, each is smoke-tested after the switch and rolled back if that
    fails (whatever ``smoke`` and ``rollback_on_smoke_failure`` say), and every candidate is deleted.
    With a ``journal_path``, every step before a smoke test is recorded there first, and the entry removed
    once the smoke tests (and rollbacks) are done; an interruption leaves it for the next run to finish.
    Progress goes to ``hooks`` (each change) and the output object's smoke progress display.
    """
    client = planned.client
    if client is None:
        raise ReconcilerError("a plan made from a live snapshot is applied from its saved file (`apply PLANFILE`)")
    gate = candidates.prepare(
        planned.plan, planned.desired, client=client, secrets=secrets_of(planned.desired),
        make_progress=app.out.progress, journal=journal(app, "smoke"),
    )
    try:
        report, smoke_report = _execute_and_smoke(app, planned, client, gate, options, hooks)
    except BaseException:
        gate.clean_up(client)
        raise
    report = gate.finish(report, client)
    report = report.model_copy(update={"environment": planned.plan.environment})
    return Applied(report=report, smoke=smoke_report, rolled_out=bool(gate.owners))


def _execute_and_smoke(
    app: Session, planned: Planned, client: RunComfyClient, gate: candidates.Gate, options: ApplyOptions,
    hooks: executor.ApplyHooks,
) -> tuple[ApplyReport, SmokeReport | None]:
    """Execute what the candidates let through, smoke-test it (every switched rollout always), roll back as
    asked (a switched rollout always); the candidates' own tests lead the smoke report."""
    if gate.interrupted:  # Ctrl-C while the candidates were made or tested: nothing else is applied
        return gate.with_blocked(ApplyReport(interrupted=True)), gate.with_candidate_results(None)
    smoke = options.smoke
    recorder = None
    if (smoke or gate.owners) and options.journal_path is not None:
        recorder = applyjournal.Recorder.begin(
            options.journal_path, gate.plan, endpoint=app.endpoint, environment=planned.plan.environment,
            rollback=options.rollback_on_smoke_failure, smoke_all=smoke, owners=tuple(sorted(gate.owners)),
        )
        hooks = _Hooks(hooks, recorder)
    report = executor.execute(
        gate.plan, client=client, secrets=secrets_of(planned.desired), hooks=hooks, fail_fast=options.fail_fast
    )
    report = gate.with_blocked(report)
    smoke_report = None
    if (smoke or gate.owners) and not report.interrupted:
        if recorder is not None:
            recorder.phase(applyjournal.SMOKING)
        smoke_report = _smoke_changed(app, planned.desired, client, report,
                                      environment=planned.plan.environment, only=None if smoke else gate.owners,
                                      keep_outputs=options.keep_outputs)
        undo = _to_undo(smoke_report, options.rollback_on_smoke_failure, gate.owners)
        if undo:
            if recorder is not None:
                recorder.phase(applyjournal.ROLLING_BACK)
            report = rollback.rollback(planned.plan, report, undo, client=client)
        if recorder is not None and not smoke_report.interrupted:
            recorder.done()
    return report, gate.with_candidate_results(smoke_report)


def notify(app: Session, planned: Planned, applied: Applied, files: tuple[str, ...]) -> None:
    """Send the ``apply_failed`` / ``smoke_failed`` / ``rolled_back`` messages ``Settings.notify`` asks for
    (``files``: the ``-f`` paths, whose folder names the commit); a failed send is only a warning."""
    from reconciler.session import notify as notifying  # Apprise is imported only when an apply ends
    from reconciler.session import pause

    desired = planned.desired
    for warning in notifying.notify_apply(
        desired.settings.notify, secret_strings(desired), pause.manifest_folder(files or tuple(desired.files)),
        environment=planned.plan.environment, report=applied.report, smoke=applied.smoke,
    ):
        app.out.note(f"warning: {warning}")


def _to_undo(smoke_report: SmokeReport, rollback_asked: bool, owners: frozenset[str] | tuple[str, ...]) -> list[str]:
    """The deployments to roll back: every failed one when asked, else the failed rollouts (always)."""
    failed = [r.name for r in smoke_report.results if r.status.is_problem]
    return failed if rollback_asked else [name for name in failed if name in owners]


def _smoke_changed(
    app: Session, desired: DesiredState, client: RunComfyClient, report: ApplyReport, *, environment: str | None,
    only: frozenset[str] | None = None, keep_outputs: bool = False,
) -> SmokeReport:
    """Smoke-test the declared deployments ``report`` shows created, updated or replaced (those in ``only``)."""
    touched = {o.name for o in report.changes if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE}
    if only is not None:
        touched &= only
    chosen = [d for d in desired.deployments if d.name in touched and not d.is_absent]
    cancel = cancelling.cancel_command(app, desired)
    smoke_report = runner.run_smoke(
        desired, chosen, client=client, progress=app.out.progress([d.name for d in chosen]),
        journal=journal(app, "smoke"), cancel_command=cancel, keep_outputs=keep_outputs,
    )
    cancelling.report_still_running(app, smoke_report, cancel)
    return dataclasses.replace(smoke_report, environment=environment)


@dataclass(frozen=True)
class Finished:
    """An interrupted apply finished by this run: the journal entry, and what smoke and rollback did."""

    entry: applyjournal.Entry
    applied: Applied
    undeclared: tuple[str, ...] = ()
    """Deployments the interrupted apply changed that the manifests no longer declare (not smoke-tested)."""


def finish_interrupted(
    app: Session, desired: DesiredState, journal_path: Path, *, register_workflows: bool = True,
) -> tuple[Finished | None, list[applyjournal.Entry]]:
    """Finish the job an ``apply --smoke`` against this target left in the journal (killed before its smoke
    tests or rollbacks were done): smoke-test what it changed, roll back failures if it was asked to, and
    remove its entry. Returns what was done (None when nothing was left) and the entries of other targets,
    which are left alone. Call it holding the apply lock, when the journal is there: it connects first (so
    the endpoint the entries are kept by is known; ``register_workflows`` as for a plan).
    """
    client = connect(app, desired, register_workflows=register_workflows)
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
    smoke_report = _smoke_changed(app, desired, client, unfinished, environment=entry.environment,
                                  only=None if entry.smoke_all else frozenset(entry.owners))
    report = unfinished
    undo = [] if smoke_report.interrupted else _to_undo(smoke_report, entry.rollback, entry.owners)
    if undo:
        report = rollback.rollback(plan, unfinished, undo, client=client)
    if not smoke_report.interrupted:
        applyjournal.clear(journal_path, entry)
    return Finished(entry=entry, applied=Applied(report=report, smoke=smoke_report), undeclared=undeclared), others
