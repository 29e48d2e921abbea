"""The run use case: one inference request to a deployment, with a preset and ``--set`` values.

Effectful, no printing. The overrides are the preset (with its ``extends``) merged with ``--set`` values
(``NODE.INPUT=VALUE``: split on the last ``.`` so ``68:8.seed`` works; VALUE is JSON when it parses,
else a string), checked against what will run (the deployed graph and its object_info, else the
manifest's ``workflow_file`` and object_info) like preset values are, then submitted exactly once.
With ``--wait`` it polls to the end (Ctrl-C or ``--timeout`` cancels the request), downloads every
output into ``--out`` (default ``.comfyops/outputs/<request id>/``) and says where; ``--format json``
prints one JSON document for scripts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import workspace
from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.errors import DiagnosticsError, ReconcilerError
from reconciler.history.journal import HistoryJournal
from reconciler.manifest import presets
from reconciler.manifest.desired import DesiredDeployment, DesiredState, ResolvedOverrides
from reconciler.render import safe
from reconciler.runcomfy import errors, retry, wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import output_names
from reconciler.session.planning import connect
from reconciler.session.recording import journal
from reconciler.session.session import Session
from reconciler.smoke import polling, remote
from reconciler.smoke.progress import Progress
from reconciler.workflow.graph import WorkflowFormatError, WorkflowGraph, parse_workflow
from reconciler.workflow.object_info import ObjectInfo
from reconciler.workflow.validate import validate_overrides

SET_LOCATION = Location("--set")

def overrides_for(
    desired: DesiredState, preset: str | None, sets: Sequence[tuple[str, str, Any]]
) -> ResolvedOverrides:
    """The preset's merged overrides (with extends), then ``--set`` values (node, input, value) on top."""
    layers: list[ResolvedOverrides] = []
    if preset is not None:
        if preset not in desired.presets:
            problem = presets.unknown_preset(preset, desired.presets, None, "--preset")
            raise ReconcilerError(problem.message, problem.hint)
        try:
            layers.append(presets.effective_overrides(preset, desired.presets))
        except presets.PresetError as exc:
            raise DiagnosticsError([exc.diagnostic], exc.diagnostic.message) from exc
    values: dict[str, dict[str, Any]] = {}
    for node, name, value in sets:
        values.setdefault(node, {})[name] = value
    locations = {(n, i): SET_LOCATION for n, ins in values.items() for i in ins}
    layers.append(ResolvedOverrides(values, locations))
    return presets.merge(layers)


def environment_name(desired: DesiredState, name: str) -> str:
    """``name`` as this environment calls it: a base name gets the environment's prefix and suffix."""
    env = desired.environment
    if env is None or desired.deployment(name) is not None:
        return name
    affixed = f"{env.name_prefix}{name}{env.name_suffix}"
    return affixed if desired.deployment(affixed) is not None else name


def find_target(
    client: RunComfyClient, desired: DesiredState, name: str
) -> tuple[wire.Deployment, DesiredDeployment | None]:
    """The live deployment for a manifest name, a live id or a live name (one list call)."""
    live = client.list_deployments()
    declared = desired.deployment(name)
    if declared is not None:
        matches = [d for d in live if d.id == declared.pinned_id] if declared.pinned_id else [
            d for d in live if d.name == name]
        if len(matches) == 1:
            return matches[0], declared
        if matches:
            raise ReconcilerError(f"{len(matches)} live deployments are named {name!r}", "pin one with metadata.id")
        raise ReconcilerError(f"deployment {name!r} is declared but not deployed", "run `comfyops apply` first")
    for deployment in live:
        if name in (deployment.id, deployment.name):
            return deployment, desired.deployment(deployment.name)
    raise ReconcilerError(
        f"no deployment {name!r}: not a manifest name, nor a live deployment id or name",
        f"declared: {', '.join(d.name for d in desired.deployments) or 'none'}",
    )


@dataclass(frozen=True)
class Submission:
    """A request submitted exactly once: where it went and its id."""

    live: wire.Deployment
    request_id: str
    journal: HistoryJournal
    client: RunComfyClient


def submit(app: Session, desired: DesiredState, deployment: str, merged: ResolvedOverrides) -> Submission:
    """Check ``merged`` against what will run on DEPLOYMENT (a manifest name, live id or live name), then
    submit it once and record it in the history; the overrides' sensitive values are masked from now on."""
    client = connect(app, desired)
    live, declared = find_target(client, desired, environment_name(desired, deployment))
    _validate(app, client, live, merged, declared)
    app.out.learn(_secrets(desired, merged))
    rid = _submit(client, live, merged)
    recorder = journal(app, "run")
    recorder.submitted(deployment=live.name, deployment_id=live.id, request_id=rid)
    return Submission(live=live, request_id=rid, journal=recorder, client=client)


def wait(app: Session, submission: Submission, *, timeout: float, out: Path | None) -> dict[str, Any]:
    """Poll the request to its end (cancel it on ``timeout`` or Ctrl-C; each status change is a line of the
    output object's progress display), download its outputs into ``out`` (default
    ``.comfyops/outputs/<request id>``), record the outcome; a summary for the report."""
    summary = _wait(app, submission.client, submission.live.id, submission.request_id, timeout=timeout, out=out,
                    progress=app.out.progress((), live=False))
    ended = summary["status"] if summary["status"] in ("succeeded", "failed", "cancelled") else None
    submission.journal.finished(request_id=submission.request_id, outcome=ended,
                                instance_id=summary.get("instance_id"))
    return summary


def _validate(
    app: Session,
    client: RunComfyClient, live: wire.Deployment, merged: ResolvedOverrides, declared: DesiredDeployment | None
) -> None:
    """Check the overrides against what will run: the deployed graph and object_info, else the local files."""
    if not merged.values:
        return
    graph, info, problems = _deployed_workflow(client, live)
    if graph is None and declared is not None:
        graph = declared.workflow
    if info is None and declared is not None:
        info = declared.object_info
    if graph is None:
        problems.append(Diagnostic(
            f"overrides not checked: the workflow of {live.name!r} is neither deployed with a readable graph "
            "nor named by a workflow_file", SET_LOCATION, severity=Severity.WARNING))
    else:
        problems += validate_overrides(merged.values, graph, object_info=info, locate=merged.locate,
                                       context="overrides")
    app.out.diagnostics(problems)
    if any(p.is_error for p in problems):
        raise DiagnosticsError(problems, f"overrides do not fit the workflow of {live.name!r}: nothing was submitted")


def _deployed_workflow(
    client: RunComfyClient, live: wire.Deployment
) -> tuple[WorkflowGraph | None, ObjectInfo | None, list[Diagnostic]]:
    """The deployed graph and its object_info (through the disk cache), with warnings for what is missing."""
    payload = client.get_deployment(live.id, include_payload=True).payload
    if payload is None or not payload.workflow_api_json:
        return None, None, []
    try:
        graph = parse_workflow(payload.workflow_api_json, source=f"deployed workflow of {live.name!r}")
    except WorkflowFormatError:
        return None, None, []
    if not payload.object_info_url:
        return graph, None, []
    info, why = remote.object_info_for(payload.object_info_url, fetch_object_info=client.fetch_object_info)
    if info is None:
        warning = Diagnostic(f"object_info of {live.name!r} unavailable: {why}; checked against the graph only",
                             SET_LOCATION, severity=Severity.WARNING)
        return graph, None, [warning]
    return graph, info, []


def _submit(client: RunComfyClient, live: wire.Deployment, merged: ResolvedOverrides) -> str:
    overrides = {node: {"inputs": inputs} for node, inputs in merged.values.items()}
    try:
        return client.submit_inference(live.id, overrides=overrides).request_id
    except errors.ApiError as error:
        if retry.may_have_landed(error):
            error.amend(note="it may have been queued; not resubmitted, so check before running again")
        raise


def _wait(app: Session, client: RunComfyClient, deployment_id: str, rid: str, *, timeout: float, out: Path | None,
          progress: Progress) -> dict[str, Any]:
    pacer = polling.Pacer()
    try:
        polling.wait_for(client, deployment_id, rid, deadline=pacer.now() + timeout, policy=polling.PollPolicy(),
                         pacer=pacer, on_status=lambda s: progress.update(rid, s.status))
    except polling.TimedOut:
        outcome = polling.cancel_quietly(client, deployment_id, rid)
        return {"status": "timeout", "errors": [f"no result after {timeout:g}s; request cancel: {outcome}"]}
    except KeyboardInterrupt:
        outcome = polling.cancel_quietly(client, deployment_id, rid)
        app.out.note(safe.terminal(f"Interrupted: request {rid} cancel: {outcome}"))
        raise
    result = client.request_result(deployment_id, rid)
    folder = out or workspace.outputs_dir(output_names.safe_name(rid))  # ignored by the recommended .gitignore
    files = save_outputs(client, result, folder) if result.succeeded else []
    return {"status": result.status, "errors": [e.message or (e.type or "error") for e in result.error],
            "files": [str(f) for f in files], "output_dir": str(folder) if files else None,
            "instance_id": result.instance_id}


def save_outputs(client: RunComfyClient, result: wire.RequestResult, folder: Path) -> list[Path]:
    """Download every output file (and write every text output) into ``folder``; the paths written.

    Names come from the remote: made safe and unique (``output_names``), and a file already in ``folder``
    is never overwritten (each is created exclusively, so never through a link either)."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    taken = {p.name.lower() for p in folder.iterdir()}
    for node_id, channels in result.outputs.items():
        for channel, items in channels.items():
            for index, item in enumerate(items):
                default = f"{node_id}_{channel}_{index + 1}"
                if isinstance(item, str):
                    name, data = f"{output_names.safe_name(default)}.txt", item.encode()
                elif isinstance(item, dict) and isinstance(item.get("url"), str):
                    name = output_names.safe_name(str(item.get("filename") or default), default)
                    data = client.download(item["url"])
                else:
                    continue
                target = folder / output_names.unique_name(name, taken)
                taken.add(target.name.lower())
                if not workspace.create_exclusive(target, data):
                    raise workspace.UnsafePath(f"refusing to write {target}: something is already there")
                written.append(target)
    return written


def _secrets(desired: DesiredState, merged: ResolvedOverrides) -> frozenset[str]:
    found = set(desired.secret_values)
    for node, name in merged.sensitive_inputs:
        value = merged.values.get(node, {}).get(name)
        if isinstance(value, str) and len(value) >= 4:
            found.add(value)
    return frozenset(found)
