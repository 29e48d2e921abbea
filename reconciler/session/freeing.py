"""The ``free`` use case: unload models and free GPU memory on a live instance.

Effectful, no printing (a note says which instance was chosen). POSTs ComfyUI's ``api/free`` through
the instance proxy (:mod:`.instances`). Without an instance id the instance is the most recently active
one in the request history that may still be warm (its last request finished less than the deployment's
keep-warm ago, or is still running); the deployment's newest unfinished requests are re-read first. The
API lists no instances, so they are known only through requests ComfyOps submitted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler import catalog
from reconciler.errors import ReconcilerError
from reconciler.history.entry import Entry, for_deployment, warm_instance
from reconciler.manifest.desired import DesiredState
from reconciler.render import safe
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session.instances import fresh_instance_hint, on_instance
from reconciler.session.lookup import client_for, find_live
from reconciler.session.recording import api_label, refresh_entries, store
from reconciler.session.session import Session

REFRESH_LIMIT = 5
"""Unfinished requests of the deployment re-read before choosing an instance (newest first)."""


@dataclass(frozen=True)
class Freed:
    """What ``free`` did: on which instance of which deployment, and what it asked ComfyUI to free."""

    live: wire.Deployment
    instance_id: str
    unload_models: bool
    free_memory: bool


def free(app: Session, desired: DesiredState | None, deployment: str, instance_id: str | None, *,
         unload_models: bool, free_memory: bool) -> Freed:
    """Free memory on ``instance_id`` of DEPLOYMENT (default: the newest instance that may still be warm);
    neither ``unload_models`` nor ``free_memory`` asked for means both."""
    if not unload_models and not free_memory:
        unload_models = free_memory = True
    client = client_for(app, desired)
    live = find_live(client, deployment)
    if instance_id is None:
        instance_id, note = pick_instance(app, _fresh_history(app, client, live), live, datetime.now(UTC))
        app.out.note(safe.terminal(note))
    chosen = instance_id
    on_instance(app, live, chosen, "api/free", lambda: client.free_instance(
        live.id, chosen, unload_models=unload_models, free_memory=free_memory))
    return Freed(live=live, instance_id=chosen, unload_models=unload_models, free_memory=free_memory)


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "at an unknown time"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s ago"
    return f"{seconds // 60}m ago" if seconds < 7200 else f"{seconds // 3600}h ago"


def pick_instance(app: Session, entries: list[Entry], deployment: wire.Deployment, now: datetime) -> tuple[str, str]:
    """The instance to free from the history, and a note saying where it came from; an error if none."""
    keep_warm = deployment.keep_warm_duration_in_seconds
    keep_warm = catalog.DEFAULT_KEEP_WARM_SECONDS if keep_warm is None else keep_warm
    found = warm_instance(entries, deployment.id, keep_warm_seconds=keep_warm, now=now)
    if found is not None:
        note = (f"Using instance {found.instance_id} from request {found.entry.request_id} "
                f"(last active {_ago(found.entry.last_active(), now)}; keep-warm {keep_warm}s).")
        return found.instance_id, note
    known = [e for e in for_deployment(entries, deployment.id) if e.instance_id]
    if known:
        last = max(known, key=lambda e: e.last_active() or now)
        detail = (f"The last one, {last.instance_id} (request {last.request_id}), was last active "
                  f"{_ago(last.last_active(), now)} and keep-warm is {keep_warm}s, so it has shut down.\n")
    else:
        detail = "The history has no request of it that ran on an instance.\n"
    raise ReconcilerError(
        f"no instance of {deployment.name} in the request history may still be warm",
        f"{detail}Pass INSTANCE_ID, or {fresh_instance_hint(app, deployment)}",
    )


def _fresh_history(app: Session, client: RunComfyClient, live: wire.Deployment) -> list[Entry]:
    """This API's history, with the deployment's newest unfinished requests re-read (their instance
    and end are known only by asking: a ``run`` without ``--wait`` never learnt them)."""
    history = store()
    entries = [e for e in history.read().entries if e.api == api_label(app)]
    unfinished = [e for e in for_deployment(entries, live.id) if not e.is_terminal][-REFRESH_LIMIT:]
    if not unfinished:
        return entries
    problems: dict[str, str] = {}
    fresh = {e.request_id: e for e in refresh_entries(client, history, unfinished, problems)}
    return [fresh.get(e.request_id, e) for e in entries]
