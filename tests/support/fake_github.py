"""A small fake of the GitHub REST API (the endpoints ComfyOps calls), served on loopback for subprocesses.

It keeps comments per issue/pull-request number, issues, and which pull requests a commit belongs
to; it checks the bearer token, paginates lists with ``Link`` headers like GitHub (``per_page``,
``page``), and records every call as ``(method, path, json body)``. It is mounted under
``/api/v3``, as GitHub Enterprise Server is, so the base-URL handling is exercised too. The token acts
as ``actor`` (``github-actions[bot]``, like the Actions token): ``GET /user`` answers 403 as it does
for that token, and the GraphQL ``viewer`` (``/api/graphql``) names the actor; what it creates is
written by the actor.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

PREFIX = "/api/v3"


@dataclass
class FakeGitHub:
    """The fake's state; ``base_url`` is set once it serves."""

    token: str
    repository: str = "octo/deployments"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    commit_pulls: dict[str, list[int]] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    base_url: str = ""
    per_page_cap: int = 100
    actor: str = "github-actions[bot]"
    _next_id: int = 1000

    def mutations(self) -> list[tuple[str, str]]:
        """(method, path) of every call that changed something."""
        return [(m, p) for m, p, _ in self.calls if m != "GET" and p != "/graphql"]

    def comment_bodies(self, number: int) -> list[str]:
        """The bodies of the comments on issue or pull request ``number``, oldest first."""
        return [c["body"] for c in self.comments.get(number, [])]

    def app(self) -> Starlette:
        """The ASGI app."""
        repo = "/repos/{owner}/{name}"
        routes = [
            Route(repo + "/issues/{number:int}/comments", self._list_comments, methods=["GET"]),
            Route(repo + "/issues/{number:int}/comments", self._create_comment, methods=["POST"]),
            Route(repo + "/issues/comments/{cid:int}", self._update_comment, methods=["PATCH"]),
            Route(repo + "/commits/{sha}/pulls", self._commit_pulls, methods=["GET"]),
            Route(repo + "/issues", self._list_issues, methods=["GET"]),
            Route(repo + "/issues", self._create_issue, methods=["POST"]),
            Route(repo + "/issues/{number:int}", self._update_issue, methods=["PATCH"]),
            Route("/user", self._user, methods=["GET"]),
        ]
        graphql = Route("/api/graphql", self._graphql, methods=["POST"])
        return Starlette(routes=[graphql, Mount(PREFIX, routes=routes)])

    # -- helpers -------------------------------------------------------------------------------

    async def _check(self, request: Request) -> Response | Any:
        body = None
        if request.method in ("POST", "PATCH"):
            body = json.loads(await request.body() or b"null")
        self.calls.append((request.method, request.url.path.removeprefix(PREFIX), body))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        owner, name = request.path_params["owner"], request.path_params["name"]
        if f"{owner}/{name}" != self.repository:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return body

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        per_page = min(int(request.query_params.get("per_page", 30)), self.per_page_cap)
        page = int(request.query_params.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            query = dict(request.query_params) | {"page": str(page + 1), "per_page": str(per_page)}
            url = request.url.replace(query="&".join(f"{k}={v}" for k, v in query.items()))
            headers["Link"] = f'<{url}>; rel="next"'
        return JSONResponse(chunk, headers=headers)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- endpoints -----------------------------------------------------------------------------

    async def _list_comments(self, request: Request) -> Response:
        checked = await self._check(request)
        if isinstance(checked, Response):
            return checked
        return self._page(request, self.comments.get(request.path_params["number"], []))

    async def _create_comment(self, request: Request) -> Response:
        body = await self._check(request)
        if isinstance(body, Response):
            return body
        number = request.path_params["number"]
        comment = {
            "id": self._new_id(),
            "body": body["body"],
            "user": {"login": self.actor, "type": "Bot"},
            "html_url": f"https://github.example.test/{self.repository}/pull/{number}#issuecomment",
        }
        self.comments.setdefault(number, []).append(comment)
        return JSONResponse(comment, status_code=201)

    async def _update_comment(self, request: Request) -> Response:
        body = await self._check(request)
        if isinstance(body, Response):
            return body
        for comment in (c for cs in self.comments.values() for c in cs):
            if comment["id"] == request.path_params["cid"]:
                comment["body"] = body["body"]
                return JSONResponse(comment)
        return JSONResponse({"message": "Not Found"}, status_code=404)

    async def _commit_pulls(self, request: Request) -> Response:
        checked = await self._check(request)
        if isinstance(checked, Response):
            return checked
        numbers = self.commit_pulls.get(request.path_params["sha"], [])
        return JSONResponse([{"number": n, "merged_at": "2026-11-27T12:00:00Z"} for n in numbers])

    async def _list_issues(self, request: Request) -> Response:
        checked = await self._check(request)
        if isinstance(checked, Response):
            return checked
        state = request.query_params.get("state", "open")
        chosen = [i for i in reversed(self.issues) if state == "all" or i["state"] == state]
        return self._page(request, chosen)

    async def _create_issue(self, request: Request) -> Response:
        body = await self._check(request)
        if isinstance(body, Response):
            return body
        number = len(self.issues) + 1
        issue = {
            "number": number,
            "title": body["title"],
            "body": body.get("body", ""),
            "state": "open",
            "labels": [{"name": n} for n in body.get("labels", [])],
            "user": {"login": self.actor, "type": "Bot"},
            "html_url": f"https://github.example.test/{self.repository}/issues/{number}",
        }
        self.issues.append(issue)
        return JSONResponse(issue, status_code=201)

    async def _user(self, request: Request) -> Response:
        self.calls.append(("GET", "/user", None))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse({"message": "Resource not accessible by integration"}, status_code=403)

    async def _graphql(self, request: Request) -> Response:
        self.calls.append(("POST", "/graphql", json.loads(await request.body() or b"null")))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse({"data": {"viewer": {"login": self.actor}}})

    async def _update_issue(self, request: Request) -> Response:
        body = await self._check(request)
        if isinstance(body, Response):
            return body
        for issue in self.issues:
            if issue["number"] == request.path_params["number"]:
                issue.update({k: v for k, v in body.items() if k in ("body", "state", "title")})
                return JSONResponse(issue)
        return JSONResponse({"message": "Not Found"}, status_code=404)


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Serve ``fake`` on ``127.0.0.1:<ephemeral>`` for the duration of the block; sets ``fake.base_url``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), log_config=None, log_level="critical", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=lambda: server.run(sockets=[sock]), name="fake-github", daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the fake GitHub API did not start"
        time.sleep(0.005)
    fake.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}{PREFIX}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
