"""``comfyops run DEPLOYMENT``: submit one inference request with a preset and ``--set`` values.

The use case is :mod:`reconciler.session.running`: the overrides are the preset (with its ``extends``)
merged with ``--set`` values (``NODE.INPUT=VALUE``: split on the last ``.`` so ``68:8.seed`` works;
VALUE is JSON when it parses, else a string), checked against what will run, then submitted exactly
once. With ``--wait`` it polls to the end (Ctrl-C or ``--timeout`` cancels the request), downloads every
output into ``--out`` (default ``.comfyops/outputs/<request id>/``) and says where; ``--format json``
prints one JSON document for scripts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from reconciler.cli import output
from reconciler.cli.manifests import files_option, load_desired
from reconciler.render import safe
from reconciler.session import running
from reconciler.session.session import Session


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
def command(app: Session, deployment: str, files: tuple[str, ...], preset: str | None, sets: tuple[str, ...],
            wait: bool, out: Path | None, fmt: str, timeout: float) -> int:
    """Submit one request to DEPLOYMENT (a manifest name or a live id) and optionally wait for it."""
    desired = load_desired(files)
    merged = running.overrides_for(desired, preset, [parse_set(s) for s in sets])
    submission = running.submit(app, desired, deployment, merged)
    live, rid = submission.live, submission.request_id
    summary: dict[str, Any] = {"deployment": live.name, "deployment_id": live.id, "request_id": rid,
                               "status": "submitted"}
    if fmt == "text":
        output.echo(safe.terminal(f"Submitted request {rid} to {live.name} ({live.id})."))
    if wait:
        summary.update(running.wait(app, submission, timeout=timeout, out=out))
        if fmt == "text":
            output.echo(_describe(summary))
    if fmt == "json":
        output.echo(json.dumps(summary, indent=2))
    return 0 if summary["status"] in ("submitted", "succeeded") else 1


def _describe(summary: dict[str, Any]) -> str:
    lines = [safe.terminal(f"Request {summary['request_id']}: {summary['status']}")]
    lines += [f"  error: {safe.terminal(e)}" for e in summary.get("errors", [])]
    lines += [f"  {safe.terminal(f)}" for f in summary.get("files", [])]
    if summary.get("output_dir"):
        lines.append(f"Outputs saved in {summary['output_dir']}/")
    return "\n".join(lines)
