"""What the live-operation use cases share: a client without manifests, and DEPLOYMENT by name or id.

Effectful shell. ``requests``, ``request``, ``proxy`` and ``free`` need no manifests: without
``-f`` they use the API defaults (rate limit, queue API ``v1``); with ``-f`` the manifests' Settings
apply. DEPLOYMENT is a live deployment's id or name, found with one list call; a name that matches
nothing gets a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.diagnostics import did_you_mean
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session.planning import connect
from reconciler.session.session import Session


def client_for(app: Session, desired: DesiredState | None) -> RunComfyClient:
    """The session's client: configured from the manifests' Settings when there are manifests, else defaults."""
    if desired is not None:
        return connect(app, desired)
    return app.client()


def find_deployment(live: Sequence[wire.Deployment], wanted: str) -> wire.Deployment:
    """The live deployment whose id or name is ``wanted``; a clear error (with a did-you-mean) otherwise."""
    by_id = [d for d in live if d.id == wanted]
    if by_id:
        return by_id[0]
    by_name = [d for d in live if d.name == wanted]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        ids = ", ".join(d.id for d in by_name)
        raise ReconcilerError(f"{len(by_name)} live deployments are named {wanted!r}", f"Use an id instead: {ids}.")
    names = sorted({d.name for d in live})
    hint = did_you_mean(wanted, names)
    listed = f"live deployments: {', '.join(names)}" if names else "there are no live deployments"
    raise ReconcilerError(f"no live deployment has the name or id {wanted!r}", f"{hint} {listed}".strip())


def find_live(client: RunComfyClient, wanted: str) -> wire.Deployment:
    """DEPLOYMENT (a name or an id) as a live deployment, with one list call."""
    return find_deployment(client.list_deployments(), wanted)
