"""What the live-operation commands share: a client without manifests, and DEPLOYMENT by name or id.

Effectful shell. ``requests``, ``request``, ``proxy`` and ``free`` need no manifests: without
``-f`` they use the API defaults (rate limit, queue API ``v1``); with ``-f`` the manifests' Settings
apply. DEPLOYMENT is a live deployment's id or name, found with one list call; a name that matches
nothing gets a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from reconciler.cli.context import AppContext
from reconciler.cli.manifests import env_option, load_desired, remember_files
from reconciler.cli.planning import connect
from reconciler.diagnostics import did_you_mean
from reconciler.errors import ReconcilerError
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient

F = TypeVar("F", bound=Callable[..., Any])


def settings_option(func: F) -> F:
    """Add an optional ``-f/--file`` whose manifests' Settings (rate limit, queue API version) apply, and
    ``--env NAME`` to pick the environment those Settings (and the API URL and token) come from."""
    func = env_option(func)
    return click.option(
        "-f",
        "--file",
        "files",
        multiple=True,
        type=click.Path(path_type=str),
        callback=remember_files,
        help="Manifests whose Settings apply (rate limit, queue_api_version). Not needed otherwise.",
    )(func)


def client_for(app: AppContext, files: tuple[str, ...]) -> RunComfyClient:
    """The process's client: configured from the manifests' Settings when ``-f`` is given, else defaults."""
    if files:
        return connect(app, load_desired(files))
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


def resolve(client: RunComfyClient, wanted: str) -> wire.Deployment:
    """DEPLOYMENT (a name or an id) as a live deployment, with one list call."""
    return find_deployment(client.list_deployments(), wanted)
