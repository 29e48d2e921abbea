"""``comfyops requests [DEPLOYMENT]``: the local request history, with live status on demand.

The use case is :mod:`reconciler.session.request_list`: it lists what ``smoke``, ``apply --smoke`` and
``run`` submitted from this working copy (``.comfyops/history.jsonl``), newest first, only requests sent
to the API this command talks to. Without ``--refresh`` no API call is made. With it, every listed request
that has not finished (or whose outcome is unknown) is read again (status, then result once completed),
and the history is updated. DEPLOYMENT is a live deployment's name or id (one list call); a deployment
that is no longer live still matches the names and ids its requests were recorded under.
"""

from __future__ import annotations

import click

from reconciler.cli import output
from reconciler.cli.manifests import settings_of, settings_option
from reconciler.render import history as render
from reconciler.render import safe
from reconciler.session.request_list import list_requests
from reconciler.session.session import Session


@click.command("requests")
@click.argument("deployment", required=False)
@settings_option
@click.option("--refresh", is_flag=True, help="Read the live status of requests that have not finished.")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True,
              help="Show the newest N requests (0: all).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def command(app: Session, deployment: str | None, files: tuple[str, ...], refresh: bool, limit: int,
            fmt: str) -> int:
    """List the requests ComfyOps submitted from here (smoke, run), newest first.

    \b
    Examples:
      comfyops requests
      comfyops requests media-sdxl-txt2img --refresh --format json
    """
    listing = list_requests(app, settings_of(files), deployment, refresh=refresh, limit=limit)
    out = output.output_of(app)
    if fmt == "json":
        out.echo(render.as_json(listing.shown, api=listing.api, refreshed=refresh, errors=listing.problems), nl=False)
    elif listing.shown:
        out.echo(render.text(listing.shown), nl=False)
    else:
        where = f" of {deployment}" if deployment else ""
        out.echo(f"No requests{where} in the history ({listing.history}).")
    for rid, message in listing.problems.items():
        out.note(f"error: could not refresh request {safe.terminal(rid)}: {safe.terminal(message)}")
    return 1 if listing.problems else 0
