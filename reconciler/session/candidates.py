"""Rolling a change out through a candidate: smoke-test the new version on a temporary copy before the switch.

Effectful. For each pending change of the plan with a :class:`~reconciler.engine.plan.Rollout`,
:func:`prepare` deletes the candidates an interrupted apply left (the plan proved them ours), creates
the candidate (the change's new workflow and version, the same hardware, ``min_instances: 0``,
``keep_warm_duration_in_seconds: 0``) and smoke-tests it with the deployment's own smoke test, golden
comparisons included. A change whose candidate could not be made or failed its test leaves the plan:
the live deployment is never touched, and its outcome says why (:meth:`Gate.with_blocked`). Apply then
runs the rest of the plan, smoke-tests each switched deployment again (rolled back on failure, as
``--rollback-on-smoke-failure`` does), and :meth:`Gate.clean_up` deletes every candidate, also after
Ctrl-C. A candidate that survives a killed process is found by the next plan (``engine.rollouts``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import catalog, companions
from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy import errors as api_errors
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.smoke import runner
from reconciler.smoke.journal import Journal
from reconciler.smoke.progress import Progress
from reconciler.smoke.report import SmokeReport, SmokeStatus

ProgressFactory = Callable[[list[str]], Progress]


@dataclass
class Gate:
    """What :func:`prepare` did: the plan left to execute, the candidates made, and their smoke tests."""

    plan: Plan
    owners: frozenset[str] = frozenset()
    """Deployments rolled out through a candidate that passed: smoke-tested again after the switch."""
    blocked: list[ChangeOutcome] = field(default_factory=list)
    smoke: SmokeReport | None = None
    made: dict[str, str] = field(default_factory=dict)
    """Candidate name -> id, to delete."""
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False

    def with_blocked(self, report: ApplyReport) -> ApplyReport:
        """``report`` (of the plan the gate let through) with an outcome for each change its candidate held back."""
        interrupted = report.interrupted or self.interrupted
        return report.model_copy(update={"changes": [*self.blocked, *report.changes], "interrupted": interrupted})

    def with_candidate_results(self, smoke: SmokeReport | None) -> SmokeReport | None:
        """The candidates' smoke results first, then ``smoke``'s (the post-switch tests), as one report."""
        if self.smoke is None:
            return smoke
        if smoke is None:
            return self.smoke
        return dataclasses.replace(
            smoke,
            results=(*self.smoke.results, *smoke.results),
            interrupted=smoke.interrupted or self.smoke.interrupted,
            duration_seconds=smoke.duration_seconds + self.smoke.duration_seconds,
        )

    def finish(self, report: ApplyReport, client: RunComfyClient) -> ApplyReport:
        """Delete every candidate (:meth:`clean_up`); ``report`` with the rollout notes."""
        notes = self.clean_up(client)
        return report.model_copy(update={"rollouts": list(notes)}) if notes else report

    def clean_up(self, client: RunComfyClient) -> list[str]:
        """Delete every candidate made; the rollout notes, each deletion (or its failure) included."""
        for name, deployment_id in sorted(self.made.items()):
            try:
                client.delete_deployment(deployment_id)
                self.notes.append(f"{name}: deleted the candidate ({deployment_id})")
            except api_errors.ApiError as exc:
                self.notes.append(
                    f"{name}: could not delete the candidate ({deployment_id}): {exc.summary}; the next plan "
                    "deletes it"
                )
        self.made.clear()
        return self.notes


def prepare(
    plan: Plan,
    desired: DesiredState,
    *,
    client: RunComfyClient,
    secrets: Mapping[str, Mapping[str, Any]],
    make_progress: ProgressFactory,
    journal: Journal | None = None,
) -> Gate:
    """Make and smoke-test the candidates of ``plan``'s rollouts; the gate says what may be applied."""
    gated = [c for c in plan.pending if c.rollout is not None]
    gate = Gate(plan=plan)
    if not gated or (any(c.action is Action.REPLACE for c in plan.changes) and not plan.allow_replace):
        return gate  # nothing to try, or a plan the executor refuses as a whole (no candidate is paid for)
    made: list[wire.Deployment] = []
    failed: dict[str, str] = {}
    try:
        for change in gated:
            try:
                made.append(_make_candidate(change, client, secrets, gate))
            except (api_errors.ApiError, ReconcilerError, KeyError) as exc:
                failed[change.name] = f"could not create its candidate: {_summary(exc)}"
        gate.smoke = _smoke_candidates(desired, gated, made, client, make_progress, journal)
    except KeyboardInterrupt:
        gate.interrupted = True
    if gate.smoke is not None and gate.smoke.interrupted:
        gate.interrupted = True
    results = gate.smoke.by_name() if gate.smoke is not None else {}
    passed: set[str] = set()
    for change in gated:
        assert change.rollout is not None
        result = results.get(change.rollout.candidate)
        if change.name in failed:
            why = failed[change.name]
        elif gate.interrupted:
            why = "interrupted before its candidate was tested"
        elif result is None or result.status is not SmokeStatus.PASS:
            shown = result.status.value if result is not None else "not run"
            why = f"its candidate {change.rollout.candidate} did not pass the smoke test ({shown})"
        else:
            passed.add(change.name)
            gate.notes.append(f"{change.rollout.candidate}: passed the smoke test; switching {change.name}")
            continue
        gate.notes.append(f"{change.name}: not switched: {why}; the live deployment was not touched")
        gate.blocked.append(ChangeOutcome(
            name=change.name, action=change.action, outcome=Outcome.FAILED, id=change.id,
            message=f"not applied: {why}; the live deployment was not touched",
        ))
    held = {c.name for c in gated} - passed
    held |= {companions.keeper_name(name) for name in held}  # nothing moves off the version it would keep
    gate.owners = frozenset(passed)
    gate.plan = plan.model_copy(update={"changes": [c for c in plan.changes if c.name not in held]})
    return gate


def candidate_body(change: ResourceChange, secrets: Mapping[str, Mapping[str, Any]]) -> wire.DeploymentCreate:
    """The create body of ``change``'s candidate: its new workflow and version and hardware, no warm instance."""
    assert change.rollout is not None
    after = change.planned_values()
    for name in change.sensitive_fields:
        after[name] = secrets[change.name][name]
    after.update(min_instances=0, max_instances=1, queue_size=1, keep_warm_duration_in_seconds=0)
    values = {k: ([after[k]] if k == "hardware" else after[k]) for k in catalog.CREATE_FIELDS}
    return wire.DeploymentCreate(name=change.rollout.candidate, **values)


def _make_candidate(
    change: ResourceChange, client: RunComfyClient, secrets: Mapping[str, Mapping[str, Any]], gate: Gate
) -> wire.Deployment:
    assert change.rollout is not None
    name = change.rollout.candidate
    if name != companions.candidate_name(change.name):
        raise ReconcilerError(f"the plan names {name!r} as the candidate of {change.name!r}, which is not its "
                              f"candidate name {companions.candidate_name(change.name)!r}")
    if change.rollout.leftover_ids:
        listed = {d.id: d for d in client.list_deployments(ids=change.rollout.leftover_ids)}
        for leftover in change.rollout.leftover_ids:
            if _provably_leftover(change, listed.get(leftover), leftover):
                client.delete_deployment(leftover)
                gate.notes.append(f"{name}: deleted a candidate an interrupted apply left ({leftover})")
    created = client.create_deployment(candidate_body(change, secrets))
    gate.made[name] = created.id
    return created


def _provably_leftover(change: ResourceChange, found: wire.Deployment | None, leftover: str) -> bool:
    """Whether ``leftover`` is still live and provably ``change``'s candidate (its name, workflow and no warm
    instance), whatever the plan file says; raises when it is live and is not."""
    assert change.rollout is not None
    if found is None:
        return False  # already gone
    workflow = change.planned_values().get("workflow_id")
    if found.name != change.rollout.candidate or found.min_instances != 0 or (
        workflow is not None and found.workflow_id != workflow
    ):
        raise ReconcilerError(
            f"refusing to delete {found.name!r} ({leftover}): it is not provably the rollout candidate of "
            f"{change.name!r} (name, workflow and min_instances: 0)"
        )
    return True


def _smoke_candidates(
    desired: DesiredState,
    gated: Sequence[ResourceChange],
    made: Sequence[wire.Deployment],
    client: RunComfyClient,
    make_progress: ProgressFactory,
    journal: Journal | None,
) -> SmokeReport:
    """Each candidate tested with its owner's smoke test (same request, same expectations and goldens)."""
    names = {d.name for d in made}
    chosen = []
    for change in gated:
        want = desired.deployment(change.name)
        assert change.rollout is not None
        if want is None or change.rollout.candidate not in names:
            continue
        fields = {**want.fields, "min_instances": 0, "is_enabled": True}
        chosen.append(dataclasses.replace(want, name=change.rollout.candidate, fields=fields))
    return runner.run_smoke(
        desired, chosen, client=client, progress=make_progress([d.name for d in chosen]), live=list(made),
        journal=journal,
    )


def _summary(exc: Exception) -> str:
    if isinstance(exc, api_errors.ApiError | ReconcilerError):
        return exc.summary
    return f"the sensitive value of {exc} is not available"
