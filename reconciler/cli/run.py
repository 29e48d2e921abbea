"""``comfyops run DEPLOYMENT``: submit one inference request with a preset and ``--set`` values.

Effectful shell. The overrides are the preset (with its ``extends``) merged with ``--set`` values
(``NODE.INPUT=VALUE``: split on the last ``.`` so ``68:8.seed`` works; VALUE is JSON when it parses,
else a string), checked against what will run (the deployed graph and its object_info, else the
manifest's ``workflow_file`` and object_info) like preset values are, then submitted exactly once.
With ``--wait`` it polls to the end (Ctrl-C or ``--timeout`` cancels the request), downloads every
output into ``--out`` (default ``.comfyops/outputs/<request id>/``) and says where; ``--format json``
prints one JSON document for scripts.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from reconciler.cli.context import AppContext
from reconciler.cli.manifests import files_option, load_desired
from reconciler.cli.output import print_diagnostics, scrub
from reconciler.cli.planning import connect
from reconciler.cli.recording import journal
from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.errors import DiagnosticsError, ReconcilerError
from reconciler.manifest import presets
from reconciler.manifest.desired import DesiredDeployment, DesiredState, ResolvedOverrides
from reconciler.render import safe
from reconciler.runcomfy import errors, retry, wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.smoke import polling
from reconciler.smoke.progress import LineProgress
from reconciler.workflow import remote
from reconciler.workflow.graph import WorkflowFormatError, WorkflowGraph, parse_workflow
from reconciler.workflow.object_info import ObjectInfo
from reconciler.workflow.validate import validate_overrides

SET_LOCATION = Location("--set")
OUTPUTS_DIR = Path(".comfyops") / "outputs"
"""Where ``run --wait`` downloads outputs by default: under ``.comfyops/``, which the recommended
``.gitignore`` ignores, so generated media never lands in a commit by accident."""


def parse_set(text: str) -> tuple[str, str, Any]:
    """``NODE.INPUT=VALUE`` as (node, input, value); the node may contain ``:`` and ``.`` (last ``.`` splits)."""
    target, sep, raw = text.partition("=")
    node, dot, name = target.rpartition(".")
    if not sep or not dot or not node or not name:
        raise click.BadParameter(f"{text!r} is not NODE.INPUT=VALUE (e.g. 3.seed=42 or 68:8.text=hello)")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return node, name, value


def overrides_for(desired: DesiredState, preset: str | None, sets: tuple[str, ...]) -> ResolvedOverrides:
    """The preset's merged overrides (with extends), then ``--set`` values on top."""
    layers: list[ResolvedOverrides] = []
    if preset is not None:
        if preset not in desired.presets:
            problem = presets.unknown_preset(preset, desired.presets, None, "--preset")
            raise ReconcilerError(problem.message, problem.hint)
        try:
            layers.append(presets.resolve(preset, desired.presets))
        except presets.PresetError as exc:
            raise DiagnosticsError([exc.diagnostic], exc.diagnostic.message) from exc
    values: dict[str, dict[str, Any]] = {}
    for node, name, value in (parse_set(s) for s in sets):
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


def find_live(
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


@click.command("run")
@click.argument("deployment")
@files_option
@click.option("--preset", metavar="NAME", help="An OverridePreset (its extends are merged first).")
@click.option("--set", "sets", multiple=True, metavar="NODE.INPUT=VALUE",
              help="Override one input (repeatable; VALUE is JSON when it parses, else a string).")
@click.option("--wait", is_flag=True, help="Wait for the result and download the outputs.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Output folder "
              "(default .comfyops/outputs/<request_id>/).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--timeout", type=click.FloatRange(min=1), default=3600, show_default=True,
              help="With --wait: cancel the request after this many seconds.")
@click.pass_obj
def command(app: AppContext, deployment: str, files: tuple[str, ...], preset: str | None, sets: tuple[str, ...],
            wait: bool, out: Path | None, fmt: str, timeout: float) -> int:
    """Submit one request to DEPLOYMENT (a manifest name or a live id) and optionally wait for it."""
    desired = load_desired(files)
    merged = overrides_for(desired, preset, sets)
    client = connect(app, desired)
    live, declared = find_live(client, desired, environment_name(desired, deployment))
    _validate(client, live, merged, declared)
    secrets = _secrets(desired, merged)
    rid = _submit(client, live, merged)
    recorder = journal(app, "run")
    recorder.submitted(deployment=live.name, deployment_id=live.id, request_id=rid)
    summary: dict[str, Any] = {"deployment": live.name, "deployment_id": live.id, "request_id": rid,
                               "status": "submitted"}
    if fmt == "text":
        click.echo(safe.terminal(f"Submitted request {rid} to {live.name} ({live.id})."))
    if wait:
        summary.update(_wait(client, live.id, rid, timeout=timeout, out=out))
        ended = summary["status"] if summary["status"] in ("succeeded", "failed", "cancelled") else None
        recorder.finished(request_id=rid, outcome=ended, instance_id=summary.get("instance_id"))
        if fmt == "text":
            click.echo(scrub(_describe(summary), secrets))
    if fmt == "json":
        click.echo(scrub(json.dumps(summary, indent=2), secrets))
    return 0 if summary["status"] in ("submitted", "succeeded") else 1


def _validate(
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
    print_diagnostics(problems)
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
        return client.submit_inference(live.id, overrides=overrides or None).request_id
    except errors.ApiError as error:
        if retry.may_have_landed(error):
            error.amend(note="it may have been queued; not resubmitted, so check before running again")
        raise


def _wait(client: RunComfyClient, deployment_id: str, rid: str, *, timeout: float, out: Path | None) -> dict[str, Any]:
    pacer = polling.Pacer()
    progress = LineProgress(sys.stderr)
    try:
        polling.wait_for(client, deployment_id, rid, deadline=pacer.now() + timeout, policy=polling.PollPolicy(),
                         pacer=pacer, on_status=lambda s: progress.update(rid, s.status))
    except polling.TimedOut:
        outcome = polling.cancel_quietly(client, deployment_id, rid)
        return {"status": "timeout", "errors": [f"no result after {timeout:g}s; request cancel: {outcome}"]}
    except KeyboardInterrupt:
        outcome = polling.cancel_quietly(client, deployment_id, rid)
        click.echo(safe.terminal(f"Interrupted: request {rid} cancel: {outcome}"), err=True)
        raise
    result = client.request_result(deployment_id, rid)
    folder = out or OUTPUTS_DIR / _safe(rid)
    files = save_outputs(client, result, folder) if result.succeeded else []
    return {"status": result.status, "errors": [e.message or (e.type or "error") for e in result.error],
            "files": [str(f) for f in files], "output_dir": str(folder) if files else None,
            "instance_id": result.instance_id}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".") or "output"


def save_outputs(client: RunComfyClient, result: wire.RequestResult, folder: Path) -> list[Path]:
    """Download every output file (and write every text output) into ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for node_id, channels in result.outputs.items():
        for channel, items in channels.items():
            for index, item in enumerate(items):
                default = f"{node_id}_{channel}_{index + 1}"
                if isinstance(item, str):
                    target, data = folder / f"{_safe(default)}.txt", item.encode()
                elif isinstance(item, dict) and isinstance(item.get("url"), str):
                    target, data = folder / _safe(str(item.get("filename") or default)), client.download(item["url"])
                else:
                    continue
                if target in written:
                    target = target.with_name(f"{_safe(node_id)}_{target.name}")
                target.write_bytes(data)
                written.append(target)
    return written


def _describe(summary: dict[str, Any]) -> str:
    lines = [safe.terminal(f"Request {summary['request_id']}: {summary['status']}")]
    lines += [f"  error: {safe.terminal(e)}" for e in summary.get("errors", [])]
    lines += [f"  {safe.terminal(f)}" for f in summary.get("files", [])]
    if summary.get("output_dir"):
        lines.append(f"Outputs saved in {summary['output_dir']}/")
    return "\n".join(lines)


def _secrets(desired: DesiredState, merged: ResolvedOverrides) -> frozenset[str]:
    found = set(desired.secret_values)
    for node, name in merged.sensitive_inputs:
        value = merged.values.get(node, {}).get(name)
        if isinstance(value, str) and len(value) >= 4:
            found.add(value)
    return frozenset(found)
