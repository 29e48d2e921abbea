"""One issue per title, for drift: opened, updated, reopened, or closed once in sync again.

:func:`find` and :func:`decide` are pure; :func:`sync` lists the repository's issues (every page), then
makes the one call the decision asks for. Pull requests, which the issues API lists too, never match, and
neither does an issue someone else opened with the same title: only the token's own account's issues are
ours (others are ignored, logged, seen with ``-v``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from reconciler.github.client import GitHubClient, repo_path, seg
from reconciler.github.comments import same_body
from reconciler.github.identity import is_author

logger = logging.getLogger(__name__)

PERMISSION: Final[str] = "issues: write"
IN_SYNC_COMMENT: Final[str] = "In sync again: ComfyOps found no drift, so this issue is closed."


@dataclass(frozen=True)
class IssueResult:
    """What :func:`sync` did (``opened``, ``updated``, ``reopened``, ``closed``, ``unchanged``, ``none``)."""

    action: str
    number: int | None = None
    url: str = ""


def find(issues: Iterable[dict[str, Any]], title: str, author: str) -> dict[str, Any] | None:
    """``author``'s issue titled exactly ``title``: an open one first, else the most recent closed one."""
    titled = [i for i in issues if "pull_request" not in i and str(i.get("title") or "") == title]
    for other in (i for i in titled if not is_author(i, author)):
        logger.info("ignoring issue #%s titled %r: it was opened by %r, not %r",
                    other.get("number"), title, (other.get("user") or {}).get("login"), author)
    matching = [i for i in titled if is_author(i, author)]
    if not matching:
        return None
    return max(matching, key=lambda i: (i.get("state") == "open", int(i.get("number") or 0)))


def decide(existing: dict[str, Any] | None, body: str, *, close_if_empty: bool) -> str:
    """What to do: ``open``, ``update``, ``reopen``, ``close`` or ``nothing``."""
    empty = not body.strip()
    if existing is None:
        return "nothing" if empty else "open"
    is_open = existing.get("state") == "open"
    if empty:
        return "close" if is_open and close_if_empty else "nothing"
    if not is_open:
        return "reopen"
    return "nothing" if same_body(str(existing.get("body") or ""), body) else "update"


def sync(
    client: GitHubClient,
    *,
    repository: str,
    title: str,
    body: str,
    author: str,
    labels: Sequence[str] = (),
    close_if_empty: bool = False,
    closing_note: str = IN_SYNC_COMMENT,
) -> IssueResult:
    """Make ``author``'s issue titled ``title`` match ``body`` (see :func:`decide`); ``author`` is the login
    the token acts as (``identity.token_login``)."""
    base = repo_path(repository)
    # Every issue is searched, not only labelled ones: GitHub silently drops the labels of a new issue
    # when the token may not set them, and filtering on them would then open a duplicate every run.
    params: dict[str, str | int] = {"state": "all", "sort": "created", "direction": "desc"}
    existing = find(client.paginate(f"{base}/issues", permission=PERMISSION, params=params), title, author)
    action = decide(existing, body, close_if_empty=close_if_empty)
    if existing is None:
        if action == "nothing":
            return IssueResult("none")
        made = client.post(
            f"{base}/issues", {"title": title, "body": body, "labels": list(labels)}, permission=PERMISSION
        )
        return IssueResult("opened", int(made["number"]), str(made.get("html_url") or ""))
    number, url = int(existing["number"]), str(existing.get("html_url") or "")
    path = f"{base}/issues/{seg(number)}"
    if action == "update":
        client.patch(path, {"body": body}, permission=PERMISSION)
        return IssueResult("updated", number, url)
    if action == "reopen":
        client.patch(path, {"state": "open", "body": body}, permission=PERMISSION)
        return IssueResult("reopened", number, url)
    if action == "close":
        client.post(f"{path}/comments", {"body": closing_note}, permission=PERMISSION)
        client.patch(path, {"state": "closed", "state_reason": "completed"}, permission=PERMISSION)
        return IssueResult("closed", number, url)
    return IssueResult("unchanged" if existing.get("state") == "open" else "none", number, url)
