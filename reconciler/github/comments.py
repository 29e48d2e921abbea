"""The sticky pull-request comment: one comment per marker, created once and updated ever after.

The marker is a hidden HTML comment, ``<!-- comfyops-comment: ID -->``, on the comment's first line.
:func:`compose` and :func:`find` are pure; :func:`upsert` lists the pull request's comments page by
page (a busy pull request has more than one page), then creates or updates ours. A comment is ours only
when the token's own account wrote it *and* it starts with the marker: anyone can copy a marker into a
comment of theirs, which is then ignored (logged, seen with ``-v``), never edited. A comment of another
tool, or of ComfyOps under another marker (``plan-staging`` and ``plan-prod``), is never touched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from reconciler.github import fit
from reconciler.github.client import GitHubClient, repo_path, seg
from reconciler.github.errors import GitHubError
from reconciler.github.identity import is_author

logger = logging.getLogger(__name__)

COMMENT_LIMIT: Final[int] = 65_536
"""GitHub refuses a comment body longer than this many characters."""
PERMISSION: Final[str] = "pull-requests: write"
DEFAULT_MARKER: Final[str] = "plan"

_MARKER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_ANY_MARKER = re.compile(r"^<!-- comfyops-comment: [^>]*-->[ \t]*\n?", re.MULTILINE)


@dataclass(frozen=True)
class CommentResult:
    """What :func:`upsert` did: ``created``, ``updated`` or ``unchanged``, and the comment."""

    action: str
    comment_id: int
    url: str
    pull_request: int


def marker_line(marker: str) -> str:
    """The hidden first line that identifies the comment for ``marker``."""
    if not _MARKER_ID.match(marker):
        raise GitHubError(
            f"marker {marker!r} is not a valid id (hint: letters, digits, '.', '_' and '-', e.g. plan-staging)"
        )
    return f"<!-- comfyops-comment: {marker} -->"


def compose(body: str, *, marker: str, where: str, limit: int = COMMENT_LIMIT) -> str:
    """The comment body: our marker first, any stale marker lines dropped, cut under ``limit`` if needed.

    ``where`` completes the sentence "The full report is in ..." shown when the body was cut.
    """
    head = marker_line(marker) + "\n"
    text = _ANY_MARKER.sub("", body.replace("\r\n", "\n")).strip("\n") + "\n"
    notice = (
        f"> [!NOTE]\n> This comment was cut to fit GitHub's {COMMENT_LIMIT:,}-character limit. "
        f"The full report is in {where}."
    )
    return head + fit.fit(text, limit - len(head), notice)


def find(comments: Iterable[dict[str, Any]], marker: str, author: str) -> dict[str, Any] | None:
    """The most recent comment by ``author`` whose body starts with ``marker``'s line, or None."""
    marked = with_marker(comments, marker)
    ours = [c for c in marked if is_author(c, author)]
    return max(ours, key=lambda c: int(c.get("id") or 0)) if ours else None


def with_marker(comments: Iterable[dict[str, Any]], marker: str) -> list[dict[str, Any]]:
    """Every comment whose body starts with ``marker``'s line, whoever wrote it."""
    line = marker_line(marker)
    return [c for c in comments if str(c.get("body") or "").lstrip().startswith(line)]


def same_body(a: str, b: str) -> bool:
    """Whether two bodies are equal once line endings and surrounding blank lines are normalised."""
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def upsert(
    client: GitHubClient, *, repository: str, pull_request: int, body: str, marker: str, author: str
) -> CommentResult:
    """Create ``author``'s comment for the marker on the pull request, or update it (nothing when it already
    says this). ``author`` is the login the token acts as (``identity.token_login``)."""
    base = repo_path(repository)
    comments = list(client.paginate(f"{base}/issues/{seg(pull_request)}/comments", permission=PERMISSION))
    for other in with_marker(comments, marker):
        if not is_author(other, author):
            logger.info(
                "ignoring comment %s on pull request #%s: it carries the %r marker but was written by %r, not %r",
                other.get("id"), pull_request, marker, (other.get("user") or {}).get("login"), author,
            )
    existing = find(comments, marker, author)
    if existing is None:
        made = client.post(f"{base}/issues/{seg(pull_request)}/comments", {"body": body}, permission=PERMISSION)
        return CommentResult("created", int(made["id"]), str(made.get("html_url") or ""), pull_request)
    comment_id = int(existing["id"])
    if same_body(str(existing.get("body") or ""), body):
        return CommentResult("unchanged", comment_id, str(existing.get("html_url") or ""), pull_request)
    made = client.patch(f"{base}/issues/comments/{seg(comment_id)}", {"body": body}, permission=PERMISSION)
    return CommentResult("updated", comment_id, str(made.get("html_url") or ""), pull_request)


def pull_requests_of_commit(client: GitHubClient, *, repository: str, sha: str) -> list[int]:
    """The numbers of the pull requests a commit belongs to (the merged one for a merge commit), merged first."""
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", sha):
        raise GitHubError(f'commit {sha!r} is not a commit SHA (hint: pass --commit "$GITHUB_SHA")')
    pulls = client.get(f"{repo_path(repository)}/commits/{seg(sha)}/pulls", permission="pull-requests: read")
    items = [p for p in pulls if isinstance(p, dict)] if isinstance(pulls, list) else []
    items.sort(key=lambda p: (p.get("merged_at") is None, -int(p.get("number") or 0)))
    return [int(p["number"]) for p in items if "number" in p]
