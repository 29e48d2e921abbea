"""Who GITHUB_TOKEN acts as: the one author whose comments and issues ComfyOps may take as its own.

Effectful (one or two GitHub calls). Anyone who can comment can copy the hidden marker, and anyone
can open an issue with the drift title, so a comment or an issue is ours only when the token's own
account wrote it *and* it carries the marker (ARCHITECTURE §8). How the account is found, in order:

1. ``GET /user`` answers the login for a user token (a personal access token, an OAuth token).
2. A GitHub App installation token, the Actions ``GITHUB_TOKEN`` among them, gets 403 "Resource not
   accessible by integration" there; the GraphQL ``viewer`` answers for it (``github-actions[bot]``,
   or ``<app-slug>[bot]``), at ``/graphql`` (``/api/graphql`` on GitHub Enterprise Server).
3. If GraphQL refuses too and this runs on GitHub Actions (``GITHUB_ACTIONS=true``), the token is the
   job's ``GITHUB_TOKEN``, which GitHub documents as acting as ``github-actions[bot]``.

Otherwise the command stops: it never guesses an author, because a wrong guess could edit someone
else's comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import httpx

from reconciler.github.annotations import on_github_actions
from reconciler.github.client import GitHubClient
from reconciler.github.errors import GitHubApiError, GitHubError

ACTIONS_BOT: Final[str] = "github-actions[bot]"
"""The account the Actions ``GITHUB_TOKEN`` writes comments and issues as."""
VIEWER_QUERY: Final[str] = "query { viewer { login } }"


def token_login(client: GitHubClient, env: Mapping[str, str]) -> str:
    """The login of the account the client's token acts as (see the module docstring for how)."""
    try:
        login = _login(client.get("/user", permission="a token that can read its own account"))
    except GitHubApiError as exc:
        if exc.status != 403:
            raise
    else:
        if login:
            return login
    login = viewer_login(client)
    if login:
        return login
    if on_github_actions(env):
        return ACTIONS_BOT
    raise GitHubError(
        "cannot tell which account GITHUB_TOKEN acts as (GET /user and the GraphQL viewer both refused), so "
        "no comment or issue can be told apart from someone else's (hint: use a token that can read its own "
        "account, or the job's GITHUB_TOKEN on GitHub Actions)"
    )


def viewer_login(client: GitHubClient) -> str:
    """The GraphQL ``viewer``'s login, or '' when GraphQL refuses to say."""
    try:
        answer = client.request(
            "POST", graphql_url(client.http.base_url), permission="a token that can query GraphQL",
            json={"query": VIEWER_QUERY},
        ).json()
    except (GitHubApiError, ValueError):
        return ""
    data = answer.get("data") if isinstance(answer, dict) else None
    viewer = data.get("viewer") if isinstance(data, dict) else None
    return _login(viewer)


def graphql_url(base: httpx.URL) -> str:
    """GitHub's GraphQL endpoint beside the REST base: ``/graphql``, or ``/api/graphql`` for ``.../api/v3``."""
    path = base.path.rstrip("/")
    path = path.removesuffix("/api/v3") + "/api/graphql" if path.endswith("/api/v3") else path + "/graphql"
    return str(base.copy_with(path=path, query=None))


def is_author(item: Mapping[str, Any], login: str) -> bool:
    """Whether a comment or an issue was written by ``login`` (logins compare case-insensitively)."""
    return _login(item.get("user")).lower() == login.lower() != ""


def _login(user: Any) -> str:
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else ""
