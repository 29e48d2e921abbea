"""Labels the drift issue carries: created when the repository does not have them yet.

Effectful: one ``GET /repos/{owner}/{repo}/labels/{name}`` per label, and a ``POST`` for a missing one
(``issues: write`` covers both), so a new repository needs no manual step before its first drift issue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from reconciler.github.client import GitHubClient, repo_path, seg
from reconciler.github.errors import GitHubApiError

PERMISSION: Final[str] = "issues: write"
COLOR: Final[str] = "d93f0b"
DESCRIPTION: Final[str] = "Live RunComfy deployments differ from git (opened by comfyops drift)"


def ensure(client: GitHubClient, *, repository: str, names: Iterable[str]) -> list[str]:
    """Create each label of ``names`` the repository lacks; returns the ones created."""
    created = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        try:
            client.get(f"{repo_path(repository)}/labels/{seg(name)}", permission=PERMISSION)
            continue
        except GitHubApiError as error:
            if error.status != 404:
                raise
        body = {"name": name, "color": COLOR, "description": DESCRIPTION}
        try:
            client.post(f"{repo_path(repository)}/labels", body, permission=PERMISSION)
        except GitHubApiError as error:
            if error.status != 422:  # created meanwhile by another job: "already_exists"
                raise
            continue
        created.append(name)
    return created
