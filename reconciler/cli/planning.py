"""What plan, apply and drift share: load manifests, connect, read live state, build the plan.

Effectful shell around the pure planner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.cli.context import AppContext
from reconciler.cli.output import print_diagnostics
from reconciler.engine import build, observe
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import Plan
from reconciler.errors import DiagnosticsError
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy.client import RunComfyClient
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
    """The process's client, configured from Settings (rate limit, queue API version)."""
    settings = desired.settings
    return app.client(
        requests_per_second=settings.rate_limit.requests_per_second,
        burst=settings.rate_limit.burst,
        queue_api_version=settings.queue_api_version,
        workflows=workflows_for_emulator(desired),
    )


def make_plan(app: AppContext, desired: DesiredState, options: build.PlanOptions) -> Planned:
    """Read live state once and build the plan; plan-rule violations fail with every problem printed."""
    client = connect(app, desired)
    live = observe.observe(client)
    plan, problems = build.build_plan(desired, live, options)
    if problems:
        print_diagnostics(problems)
        raise DiagnosticsError(problems, f"cannot plan: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return Planned(plan=plan, desired=desired, live=live)


def secrets_of(desired: DesiredState) -> dict[str, dict[str, Any]]:
    """Deployment name -> sensitive field -> value, for apply to fill in what the plan masks."""
    return {d.name: {f: d.fields[f] for f in d.sensitive_fields} for d in desired.deployments if d.sensitive_fields}
