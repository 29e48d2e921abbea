"""The ``requests`` use case: the local request history, with live status on demand.

Effectful, no printing but notes. Lists what ``smoke``, ``apply --smoke`` and ``run`` submitted from this
working copy (``.comfyops/history.jsonl``), newest last, only requests sent to the API this command talks
to. Without ``refresh`` no API call is made. With it, every listed request that has not finished (or
whose outcome is unknown) is read again (status, then result once completed), and the history updated.
A deployment is a live deployment's name or id (one list call); a deployment that is no longer live still
matches the names and ids its requests were recorded under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.diagnostics import did_you_mean
from reconciler.errors import ReconcilerError
from reconciler.history.entry import Entry
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session.lookup import client_for, find_deployment
from reconciler.session.recording import api_label, refresh_entries, store
from reconciler.session.session import Session


@dataclass(frozen=True)
class Listing:
    """The requests to show, oldest first, and what could not be refreshed (request id -> why)."""

    shown: list[Entry]
    api: str
    refreshed: bool
    history: Path
    problems: dict[str, str] = field(default_factory=dict)


def list_requests(app: Session, desired: DesiredState | None, deployment: str | None, *, refresh: bool,
                  limit: int) -> Listing:
    """The newest ``limit`` (0: all) requests of this API (of ``deployment``, when given), refreshed on demand;
    notes say what was left out (older requests, other APIs' requests, unreadable lines)."""
    history = store()
    snapshot = history.read()
    api = api_label(app)
    mine = [e for e in snapshot.entries if e.api == api]
    others = len(snapshot.entries) - len(mine)
    client = client_for(app, desired) if refresh or deployment else None
    if deployment is not None:
        assert client is not None
        mine = _of_deployment(client, mine, deployment)
    shown = mine[-limit:] if limit else mine
    hidden = len(mine) - len(shown)
    if hidden:
        app.out.note(f"({hidden} older request{'s' if hidden != 1 else ''} not shown; --limit 0 shows all)")
    problems: dict[str, str] = {}
    if refresh and shown:
        assert client is not None
        shown = refresh_entries(client, history, shown, problems)
    skipped = snapshot.skipped_lines
    if skipped:
        app.out.note(f"warning: skipped {skipped} unreadable line{'s' if skipped != 1 else ''} in {history.path}")
    if others:
        app.out.note(f"({others} request{'s' if others != 1 else ''} sent to other APIs not shown)")
    return Listing(shown=shown, api=api, refreshed=refresh, history=history.path, problems=problems)


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
