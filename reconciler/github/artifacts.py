"""Workflow artifacts from the default branch: find the newest by name, download it, take its one file out.

A pull-request job downloads the live snapshot a trusted job uploaded (``comfyops-snapshot-<env>``)
with the read-only ``GITHUB_TOKEN`` (``actions: read``). :func:`choose` is pure and decides which
artifact can be trusted: the newest unexpired one with exactly that name, uploaded by a run on the
given branch of this repository (never a fork's run, never a pull request's branch, whose workflow
the pull request can change). :func:`extract` reads one named regular file from the zip GitHub
serves, refusing paths, links and oversized members. :func:`download` is the effectful part.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from reconciler.github.client import GitHubClient, repo_path, seg
from reconciler.github.errors import GitHubError

PERMISSION: Final[str] = "actions: read"
MAX_BYTES: Final[int] = 64 * 1024 * 1024
"""An archive or file larger than this is refused (a snapshot of a thousand deployments is a few MB)."""


@dataclass(frozen=True)
class Artifact:
    """One artifact as the list endpoint reports it, with the run that uploaded it."""

    id: int
    name: str
    created_at: str
    head_branch: str
    head_sha: str
    run_id: int


def choose(items: Iterable[dict[str, Any]], *, name: str, branch: str) -> Artifact | None:
    """The newest unexpired artifact named ``name`` from a run on ``branch`` of this repository, or None."""
    found = []
    for item in items:
        run = item.get("workflow_run") or {}
        if item.get("name") != name or item.get("expired") or not isinstance(run, dict):
            continue
        if run.get("head_branch") != branch:
            continue
        if run.get("head_repository_id") != run.get("repository_id") or run.get("repository_id") is None:
            continue  # a fork's run: its workflow file is the fork's
        found.append(
            Artifact(
                id=int(item["id"]),
                name=name,
                created_at=str(item.get("created_at") or ""),
                head_branch=branch,
                head_sha=str(run.get("head_sha") or ""),
                run_id=int(run.get("id") or 0),
            )
        )
    return max(found, key=lambda a: (a.created_at, a.id)) if found else None


def newest(client: GitHubClient, *, repository: str, name: str, branch: str) -> Artifact | None:
    """The artifact :func:`choose` picks among the repository's artifacts named ``name``."""
    path = f"{repo_path(repository)}/actions/artifacts"
    items = client.paginate(path, permission=PERMISSION, params={"name": name}, items_key="artifacts")
    return choose(items, name=name, branch=branch)


def download(client: GitHubClient, *, repository: str, artifact: Artifact) -> bytes:
    """The artifact's zip archive."""
    path = f"{repo_path(repository)}/actions/artifacts/{seg(artifact.id)}/zip"
    return client.download(path, permission=PERMISSION, max_bytes=MAX_BYTES)


def extract(archive: bytes, filename: str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The member ``filename`` (a plain name at the archive's top) of ``archive``; GitHubError otherwise."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            members = {info.filename: info for info in zipped.infolist()}
            info = members.get(filename)
            if info is None or "/" in filename or "\\" in filename or filename in ("", ".", ".."):
                listed = ", ".join(sorted(members)[:10]) or "nothing"
                raise GitHubError(f"the artifact has no file {filename!r} (it holds: {listed})")
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver recorded no file type
            if info.is_dir() or kind not in (0, stat.S_IFREG):
                raise GitHubError(f"the artifact's {filename!r} is not a regular file")
            if info.file_size > max_bytes:
                raise GitHubError(f"the artifact's {filename!r} is larger than {max_bytes:,} bytes; refused")
            with zipped.open(info) as handle:
                content = handle.read(max_bytes + 1)
    except zipfile.BadZipFile as exc:
        raise GitHubError(f"the artifact is not a zip archive ({exc})") from None
    if len(content) > max_bytes:
        raise GitHubError(f"the artifact's {filename!r} is larger than {max_bytes:,} bytes; refused")
    return content
