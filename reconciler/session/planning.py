"""The plan use case, and what apply, drift and the live-operation commands share with it: connect with
the manifests' settings, read live state, build the plan, attach policy results.

Effectful shell around the pure planner; no printing: notes and problems go to the session's output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.diagnostics import Diagnostic
from reconciler.engine import match, planner
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import Plan
from reconciler.engine.snapshot import Snapshot
from reconciler.errors import DiagnosticsError, ReconcilerError
from reconciler.manifest import messages
from reconciler.manifest.desired import DesiredState, secret_strings
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import observe
from reconciler.session.session import ClientConfig, Session
from reconciler.smoke import remote
from reconciler.workflow.graph import WorkflowGraph


@dataclass
class Planned:
    """A plan, what it was made from, and the client that read it (apply carries on with the same one)."""

    plan: Plan
    desired: DesiredState
    live: list[LiveDeployment]
    client: RunComfyClient | None
    """None for a plan made from a live snapshot: nothing was read over the network."""


def workflows_for_emulator(desired: DesiredState) -> dict[tuple[str, str], dict[str, Any]]:
    """(workflow_id, version) -> workflow_api.json of every deployment that names a workflow_file."""
    return {
        (str(d.fields["workflow_id"]), str(d.fields["workflow_version"])): _api_json(d.workflow)
        for d in desired.deployments
        if d.workflow is not None
    }


def _api_json(graph: WorkflowGraph) -> dict[str, Any]:
    return {
        node.id: {
            "class_type": node.class_type,
            "inputs": dict(node.inputs),
            **({"_meta": {"title": node.title}} if node.title is not None else {}),
        }
        for node in graph.nodes.values()
    }


def connect(
    app: Session, desired: DesiredState, *, register_workflows: bool = False, read_only: bool = False
) -> RunComfyClient:
    """The process's client, configured from Settings (rate limit, queue API version) and the Environment
    (its API URL and the variable that holds its token).

    With ``--emulator``, ``register_workflows`` stands each manifest's ``workflow_file`` in for the
    cloud-saved workflow version it names (apply does this, and says so; the real API only serves
    versions saved in the account), and ``read_only`` keeps the emulator's state folder untouched
    (plan: registrations are previewed in memory).
    """
    settings = desired.settings
    environment = desired.environment
    client = app.client(ClientConfig(
        requests_per_second=settings.rate_limit.requests_per_second,
        burst=settings.rate_limit.burst,
        queue_api_version=settings.queue_api_version,
        workflows=workflows_for_emulator(desired) if register_workflows else {},
        read_only=read_only,
        manifests=tuple(desired.files),
        api_url=environment.api_url if environment is not None else None,
        token_env=environment.token_env if environment is not None else None,
        environment=desired.environment_name,
    ))
    client.mask(secret_strings(desired))
    if not read_only:
        _say_registered(app, desired)
    return client


REGISTERED_NOTE = (
    "emulator: apply registers each workflow_file as the version its manifest names; "
    "the real API serves only workflow versions saved in your RunComfy account"
)


def _say_registered(app: Session, desired: DesiredState) -> None:
    files = {(str(d.fields["workflow_id"]), str(d.fields["workflow_version"])): d.workflow_file
             for d in desired.deployments if d.workflow is not None}
    for workflow_id, version in app.registered:
        where = files.get((workflow_id, version))
        line = f"emulator: registered {where} as workflow {workflow_id!r} version {version!r}"
        app.out.note(line)
    if app.registered:
        app.out.note(REGISTERED_NOTE)
    app.registered.clear()


def needs_payload(desired: DesiredState) -> bool:
    """Whether plan must read deployed workflow graphs: some smoke overrides have no local workflow_file."""
    return any(
        d.smoke_overrides is not None and d.smoke_overrides.values and d.workflow is None
        for d in desired.deployments
    )


def make_plan(
    app: Session,
    desired: DesiredState,
    options: planner.PlanOptions,
    *,
    read_only: bool = True,
    snapshot: Snapshot | None = None,
) -> Planned:
    """Read live state once and build the plan; plan-rule violations fail with every problem printed.

    ``read_only=False`` is for apply: with ``--emulator`` the workflow files are registered for real.
    """
    client: RunComfyClient | None = None
    fetch_object_info: remote.FetchObjectInfo
    if snapshot is None:
        client = connect(app, desired, register_workflows=True, read_only=read_only)
        live = observe.observe(client, include_payload=needs_payload(desired))
        live, matching = _with_saved_versions(client, desired, live)
        endpoint, fetch_object_info = app.endpoint, client.fetch_object_info
    else:  # the snapshot holds every payload (saved versions included): no second read
        live, endpoint, fetch_object_info = list(snapshot.deployments), snapshot.endpoint, _offline
        matching = match.match_all(desired.deployments, live)
    plan, problems = planner.build_plan(desired, live, replace(options, endpoint=endpoint), matching)
    if not problems and needs_payload(desired):
        problems = _check_live_graphs(desired, plan, live, fetch_object_info)
    secrets = secret_strings(desired)
    problems = [messages.without_secrets(p, secrets) for p in problems]
    errors = [p for p in problems if p.is_error]
    app.out.diagnostics(problems)
    if errors:
        raise DiagnosticsError(errors, f"cannot plan: {len(errors)} problem{'s' if len(errors) != 1 else ''}")
    return Planned(plan=plan, desired=desired, live=live, client=client)


def _offline(url: str) -> Mapping[str, Any]:
    """The object_info fetcher of a plan made from a snapshot: there is no network, so the check says so."""
    raise ReconcilerError("planned against a snapshot: node schemas (object_info) are not read without a token")


def with_policy(app: Session, planned: Planned) -> Planned:
    """The plan with its policy results attached (``Settings.policy``); a Rego error fails with its file:line."""
    from reconciler.policy.evaluate import evaluate

    desired = planned.desired
    if not desired.policy_paths:
        return planned
    from reconciler.session.policycheck import policy_input

    report, problems = evaluate(desired.policy_paths, desired.settings.policy.namespaces,
                                policy_input(planned.plan, desired))
    app.out.diagnostics(problems)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise DiagnosticsError(errors, f"policy check failed: {len(errors)} error{'s' if len(errors) != 1 else ''}")
    return replace(planned, plan=planned.plan.model_copy(update={"policy": report}))


def refuse_denied(plan: Plan) -> None:
    """Stop before any change when a policy denied the plan."""
    report = plan.policy
    if report is not None and report.denied:
        raise ReconcilerError(
            f"refusing to apply: the plan is denied by {len(report.denials)} polic"
            f"{'ies' if len(report.denials) != 1 else 'y'}",
            "\n".join(f"{m.rule}: {m.message} ({m.namespace})" for m in report.denials),
        )


def _with_saved_versions(
    client: RunComfyClient, desired: DesiredState, live: list[LiveDeployment]
) -> tuple[list[LiveDeployment], match.Matching]:
    """``live`` with the workflow's saved versions read (one more list call, with payload) for the deployments
    whose workflow_version would change, so plan can warn about a version that is not saved; and the
    manifests matched to it (matching runs once per plan)."""
    matching = match.match_all(desired.deployments, live)
    ids = tuple(
        m.live.id
        for m in matching.matches
        if m.live is not None
        and m.live.known_versions is None
        and m.live.fields.get("workflow_version") != m.desired.fields.get("workflow_version")
        and m.live.fields.get("workflow_id") == m.desired.fields.get("workflow_id")
    )
    if not ids:
        return live, matching
    detailed = {d.id: d for d in observe.observe(client, include_payload=True, ids=ids)}
    return [detailed.get(d.id, d) for d in live], match.with_details(matching, detailed)


def _check_live_graphs(
    desired: DesiredState, plan: Plan, live: list[LiveDeployment], fetch_object_info: remote.FetchObjectInfo
) -> list[Diagnostic]:
    """Smoke overrides of deployments without a local workflow_file, checked against the deployed graph."""
    by_id = {d.id: d for d in live}
    payloads = {c.name: by_id[c.id] for c in plan.changes if c.id in by_id}
    local_only = DesiredState(
        deployments=tuple(d for d in desired.deployments if d.workflow is None),
        presets=desired.presets,
        settings=desired.settings,
        files=desired.files,
    )
    return remote.check_against_live(local_only, payloads, fetch_object_info=fetch_object_info)


def secrets_of(desired: DesiredState) -> dict[str, dict[str, Any]]:
    """Deployment name -> sensitive field -> value, for apply to fill in what the plan masks."""
    return {d.name: {f: d.fields[f] for f in d.sensitive_fields} for d in desired.deployments if d.sensitive_fields}
