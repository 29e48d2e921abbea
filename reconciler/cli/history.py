"""``comfyops requests [DEPLOYMENT]``: the local request history, with live status on demand.

Effectful shell. Lists what ``smoke``, ``apply --smoke`` and ``run`` submitted from this working
directory (``.comfyops/history.jsonl``), newest first, only requests sent to the API this command
talks to. Without ``--refresh`` no API call is made. With it, every listed request that has not
finished (or whose outcome is unknown) is read again (status, then result once completed), and
the history is updated. DEPLOYMENT is a live deployment's name or id (one list call); a deployment
that is no longer live still matches the names and ids its requests were recorded under.
"""

from __future__ import annotations

import click

from reconciler.cli import output
from reconciler.cli.manifests import settings_of, settings_option
from reconciler.diagnostics import did_you_mean
from reconciler.errors import ReconcilerError
from reconciler.history.entry import Entry
from reconciler.history.store import HistoryStore
from reconciler.render import history as render
from reconciler.render import safe
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session.lookup import client_for, find_deployment
from reconciler.session.recording import api_label, refresh_entries, store
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
    history = store()
    snapshot = history.read()
    api = api_label(app)
    mine = [e for e in snapshot.entries if e.api == api]
    others = len(snapshot.entries) - len(mine)
    client = client_for(app, settings_of(files)) if refresh or deployment else None
    if deployment is not None:
        assert client is not None
        mine = _of_deployment(client, mine, deployment)
    shown = mine[-limit:] if limit else mine
    if len(shown) < len(mine):
        output.echo(f"({len(mine) - len(shown)} older request{'s' if len(mine) - len(shown) != 1 else ''} not shown; "
                   "--limit 0 shows all)", err=True)
    problems: dict[str, str] = {}
    if refresh and shown:
        assert client is not None
        shown = refresh_entries(client, history, shown, problems)
    _notes(snapshot.skipped_lines, others, history)
    if fmt == "json":
        output.echo(render.as_json(shown, api=api, refreshed=refresh, errors=problems), nl=False)
    elif shown:
        output.echo(render.text(shown), nl=False)
    else:
        where = f" of {deployment}" if deployment else ""
        output.echo(f"No requests{where} in the history ({history.path}).")
    for rid, message in problems.items():
        output.echo(f"error: could not refresh request {safe.terminal(rid)}: {safe.terminal(message)}", err=True)
    return 1 if problems else 0


def _of_deployment(client: RunComfyClient, entries: list[Entry], wanted: str) -> list[Entry]:
    """The entries of DEPLOYMENT: a live name or id, else a name or id the history recorded."""
    live = client.list_deployments()
    try:
        found = find_deployment(live, wanted)
    except ReconcilerError as missing:
        recorded = [e for e in entries if wanted in (e.deployment_id, e.deployment)]
        if recorded:
            return recorded
        names = sorted({d.name for d in live} | {e.deployment for e in entries})
        hint = did_you_mean(wanted, names)
        raise ReconcilerError(missing.summary, hint or missing.detail) from None
    return [e for e in entries if e.deployment_id == found.id]


def _notes(skipped: int, others: int, history: HistoryStore) -> None:
    if skipped:
        output.echo(f"warning: skipped {skipped} unreadable line{'s' if skipped != 1 else ''} in {history.path}",
                   err=True)
    if others:
        output.echo(f"({others} request{'s' if others != 1 else ''} sent to other APIs not shown)", err=True)
