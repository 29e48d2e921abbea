"""What plan, apply and drift share: load manifests, connect, read live state, build the plan.

Effectful shell around the pure planner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reconciler.cli.context import AppContext
from reconciler.cli.output import print_diagnostics, scrub
from reconciler.diagnostics import Diagnostic
from reconciler.engine import build, observe
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import Plan
from reconciler.errors import DiagnosticsError, ReconcilerError
from reconciler.manifest import printing
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy.client import RunComfyClient
from reconciler.workflow import remote
from reconciler.workflow.graph import WorkflowGraph


@dataclass
class Planned:
    """A plan and what it was made from."""

    plan: Plan
    desired: DesiredState
    live: list[LiveDeployment]


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


def connect(app: AppContext, desired: DesiredState) -> RunComfyClient:
    """The process's client, configured from Settings (rate limit, queue API version) and the Environment
    (its API URL and the variable that holds its token)."""
    settings = desired.settings
    environment = desired.environment
    return app.client(
        requests_per_second=settings.rate_limit.requests_per_second,
        burst=settings.rate_limit.burst,
        queue_api_version=settings.queue_api_version,
        workflows=workflows_for_emulator(desired),
        api_url=environment.api_url if environment is not None else None,
        token_env=environment.token_env if environment is not None else None,
    )


def needs_payload(desired: DesiredState) -> bool:
    """Whether plan must read deployed workflow graphs: some smoke overrides have no local workflow_file."""
    return any(
        d.smoke_overrides is not None and d.smoke_overrides.values and d.workflow is None
        for d in desired.deployments
    )


def make_plan(app: AppContext, desired: DesiredState, options: build.PlanOptions) -> Planned:
    """Read live state once and build the plan; plan-rule violations fail with every problem printed."""
    client = connect(app, desired)
    live = observe.observe(client, include_payload=needs_payload(desired))
    plan, problems = build.build_plan(desired, live, options)
    if not problems and needs_payload(desired):
        problems = _check_live_graphs(desired, plan, live, client)
    errors = [p for p in problems if p.is_error]
    print_diagnostics(problems)
    if errors:
        raise DiagnosticsError(errors, f"cannot plan: {len(errors)} problem{'s' if len(errors) != 1 else ''}")
    return Planned(plan=plan, desired=desired, live=live)


def with_policy(planned: Planned) -> Planned:
    """The plan with its policy results attached (``Settings.policy``); a Rego error fails with its file:line."""
    from reconciler.policy.evaluate import evaluate

    desired = planned.desired
    if not desired.policy_paths:
        return planned
    manifests = printing.resolved_documents(list(desired.documents))
    document = {**planned.plan.to_dict(), "environment": desired.environment_name, "manifests": manifests}
    # exactly what `plan --format json` prints: secrets scrubbed on the way out, as for any output
    policy_input = json.loads(scrub(json.dumps(document), desired.secret_values))
    report, problems = evaluate(desired.policy_paths, desired.settings.policy.namespaces, policy_input)
    print_diagnostics(problems)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise DiagnosticsError(errors, f"policy check failed: {len(errors)} error{'s' if len(errors) != 1 else ''}")
    return Planned(plan=planned.plan.model_copy(update={"policy": report}), desired=desired, live=planned.live)


def refuse_denied(plan: Plan) -> None:
    """Stop before any change when a policy denied the plan."""
    report = plan.policy
    if report is not None and report.denied:
        raise ReconcilerError(
            f"refusing to apply: the plan is denied by {len(report.denials)} polic"
            f"{'ies' if len(report.denials) != 1 else 'y'}",
            "\n".join(f"{m.rule}: {m.message} ({m.namespace})" for m in report.denials),
        )


def _check_live_graphs(
    desired: DesiredState, plan: Plan, live: list[LiveDeployment], client: RunComfyClient
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
    return remote.check_against_live(local_only, payloads, fetch_object_info=client.fetch_object_info)


def secrets_of(desired: DesiredState) -> dict[str, dict[str, Any]]:
    """Deployment name -> sensitive field -> value, for apply to fill in what the plan masks."""
    return {d.name: {f: d.fields[f] for f in d.sensitive_fields} for d in desired.deployments if d.sensitive_fields}
