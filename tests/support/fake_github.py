"""A small fake of the GitHub REST API (the endpoints ComfyOps calls), served on loopback for subprocesses.

It keeps comments per issue/pull-request number, issues, which pull requests a commit belongs to,
workflow artifacts (listed like GitHub, downloaded through a redirect to another host that must not
receive the token) and check runs (refusing an output over GitHub's 65,535 bytes); it checks the
bearer token, paginates lists with ``Link`` headers like GitHub (``per_page``,
``page``), and records every call as ``(method, path, json body)``. It is mounted under
``/api/v3``, as GitHub Enterprise Server is, so the base-URL handling is exercised too. The token acts
as ``actor`` (``github-actions[bot]``, like the Actions token): ``GET /user`` answers 403 as it does
for that token, and the GraphQL ``viewer`` (``/api/graphql``) names the actor; what it creates is
written by the actor.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import zipfile
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
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    default_branch: str = "main"
    labels: list[str] = field(default_factory=list)
    blob_requests: list[dict[str, str]] = field(default_factory=list)
    """Headers of each download from the storage host (the token must never be among them)."""
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

    def add_artifact(
        self,
        name: str,
        files: dict[str, bytes],
        *,
        head_branch: str = "main",
        fork: bool = False,
        expired: bool = False,
    ) -> int:
        """Store an artifact as a run on ``head_branch`` uploaded it (``fork``: a fork's run); returns its id."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for filename, content in files.items():
                archive.writestr(filename, content)
        artifact_id = self._new_id()
        self.artifacts.append(
            {
                "id": artifact_id,
                "name": name,
                "expired": expired,
                "created_at": f"2026-12-06T00:{len(self.artifacts):02d}:00Z",
                "workflow_run": {
                    "id": 9000 + artifact_id,
                    "repository_id": 1,
                    "head_repository_id": 2 if fork else 1,
                    "head_branch": head_branch,
                    "head_sha": "f" * 40,
                },
                "_zip": buffer.getvalue(),
            }
        )
        return artifact_id

    def app(self) -> Starlette:
        """The ASGI app."""
        repo = "/repos/{owner}/{name}"
        routes = [
            Route(repo, self._repository, methods=["GET"]),
            Route(repo + "/labels/{label}", self._get_label, methods=["GET"]),
            Route(repo + "/labels", self._create_label, methods=["POST"]),
            Route(repo + "/actions/artifacts", self._list_artifacts, methods=["GET"]),
            Route(repo + "/actions/artifacts/{aid:int}/zip", self._artifact_zip, methods=["GET"]),
            Route(repo + "/commits/{sha}/check-runs", self._list_check_runs, methods=["GET"]),
            Route(repo + "/check-runs", self._create_check_run, methods=["POST"]),
            Route(repo + "/check-runs/{rid:int}", self._update_check_run, methods=["PATCH"]),
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
        blob = Route("/blob/{aid:int}", self._blob, methods=["GET"])
        return Starlette(routes=[graphql, blob, Mount(PREFIX, routes=routes)])

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

    async def _repository(self, request: Request) -> Response:
        checked = await self._check(request)
        if isinstance(checked, Response):
            return checked
        return JSONResponse({"id": 1, "full_name": self.repository, "default_branch": self.default_branch})

    async def _get_label(self, request: Request) -> Response:
        checked = await self._check(request)
        if isinstance(checked, Response):
            return checked
        if request.path_params["label"] not in self.labels:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse({"name": request.path_params["label"]})

    async def _create_label(self, request: Request) -> Response:
        body = await self._check(request)
        if isinstance(body, Response):
            return body
        if body["name"] in self.labels:
            return JSONResponse({"message": "Validation Failed", "errors": [{"code": "already_exists"}]}, 422)
        self.labels.append(body["name"])
        return JSONResponse(body, status_code=201)

    async def _list_artifacts(self, request: Request) -> Response:
        checked = await self._check(request)
        if isinstance(checked, Response):
            return checked
        name = request.query_params.get("name")
        chosen = [
            {k: v for k, v in a.items() if k != "_zip"} for a in reversed(self.artifacts) if name in (None, a["name"])
        ]
        paged = self._page(request, chosen)
        return JSONResponse(
            {"total_count": len(chosen), "artifacts": json.loads(bytes(paged.body))},
            headers={k: v for k, v in paged.headers.items() if k.lower() == "link"},
        )

    async def _artifact_zip(self, request: Request) -> Response:
        checked = await self._check(request)
        if isinstance(checked, Response):
            return checked
        port = request.url.port
        # GitHub redirects to a storage host: "localhost" is another origin than the API's 127.0.0.1
        return Response(
            status_code=302, headers={"Location": f"http://localhost:{port}/blob/{request.path_params['aid']}"}
        )

    async def _blob(self, request: Request) -> Response:
        self.blob_requests.append(dict(request.headers))
        if "authorization" in request.headers:
            return Response(b"<Error>token sent to storage</Error>", status_code=400)
        for artifact in self.artifacts:
            if artifact["id"] == request.path_params["aid"]:
                return Response(artifact["_zip"], media_type="application/zip")
        return Response(status_code=404)

    async def _list_check_runs(self, request: Request) -> Response:
        checked = await self._check(request)
        if isinstance(checked, Response):
            return checked
        name = request.query_params.get("check_name")
        runs = [r for r in self.check_runs if r["head_sha"] == request.path_params["sha"] and name in (None, r["name"])]
        return JSONResponse({"total_count": len(runs), "check_runs": runs})

    async def _check_run_body(self, request: Request) -> Response | Any:
        """The request's check run, or the error GitHub answers (bad token, or an output over 65,535 bytes)."""
        body = await self._check(request)
        if isinstance(body, Response):
            return body
        for part in ("summary", "text"):
            if len(str(body.get("output", {}).get(part, "")).encode()) > 65_535:
                return JSONResponse(
                    {"message": f"Invalid request.\n\nOnly 65535 characters are allowed; {part} is too long."},
                    status_code=422,
                )
        return body

    async def _create_check_run(self, request: Request) -> Response:
        body = await self._check_run_body(request)
        if isinstance(body, Response):
            return body
        run_id = self._new_id()
        run = {**body, "id": run_id, "html_url": f"https://github.example.test/{self.repository}/runs/{run_id}"}
        self.check_runs.append(run)
        return JSONResponse(run, status_code=201)

    async def _update_check_run(self, request: Request) -> Response:
        body = await self._check_run_body(request)
        if isinstance(body, Response):
            return body
        for run in self.check_runs:
            if run["id"] == request.path_params["rid"]:
                run.update(body)
                return JSONResponse(run)
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
