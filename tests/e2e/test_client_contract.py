"""Contract tests: ``RunComfyClient`` against the emulator over real loopback HTTP, every endpoint and error path.

Every test runs against two targets (the ``server`` fixture): the in-process :class:`EmbeddedEmulator`
(uvicorn in a thread) and a real ``python -m reconciler emulator serve`` subprocess, each started once
per module and reset before every test. The client is the production one (``build_http_client`` +
``RunComfyClient``) with a generous limiter and tiny backoffs on a fake clock, so nothing sleeps; an
httpx event hook records every exchange so tests can see what went over the wire.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.retry import RetryPolicy
from reconciler.runcomfy import errors, wire
from reconciler.runcomfy.client import CREATE_MAY_HAVE_LANDED, RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket
from support.fake_time import FakeTime

DATA = Path(__file__).parents[1] / "data"
GRAPH: dict[str, Any] = json.loads((DATA / "workflows" / "txt2img.json").read_text(encoding="utf-8"))
GRAPH_V2: dict[str, Any] = copy.deepcopy(GRAPH)
GRAPH_V2["5"]["inputs"].update(width=64, height=32)
WF = "wf-txt2img"
TOKEN = "contract-token-0123"
FAST_RETRY = RetryPolicy(base=0.001, factor=2.0, cap=0.004, max_attempts=4)
STARTUP_SECONDS = 20.0
_SSL_CONTEXT = ssl.create_default_context()


# -- wire log and fake time ------------------------------------------------------------------------


@dataclass
class Exchange:
    """One HTTP request the client sent, and the status it got (None if the connection dropped)."""

    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class WireLog:
    """Every exchange of one ``httpx.Client``, recorded by its event hooks."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._open: dict[int, Exchange] = {}

    def on_request(self, request: httpx.Request) -> None:
        content = request.content
        body = json.loads(content) if content else None
        exchange = Exchange(request.method, request.url.path, list(request.url.params.multi_items()), body)
        self.exchanges.append(exchange)
        self._open[id(request)] = exchange

    def on_response(self, response: httpx.Response) -> None:
        exchange = self._open.pop(id(response.request), None)
        if exchange is not None:
            exchange.status = response.status_code
            exchange.headers = dict(response.headers)

    def matching(self, method: str, path_part: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == method and path_part in e.path]


@dataclass
class Connected:
    client: RunComfyClient
    log: WireLog
    time: FakeTime


def connect(
    base_url: str,
    *,
    token: str = TOKEN,
    queue_api_version: str = "v1",
    policy: RetryPolicy = FAST_RETRY,
) -> Connected:
    """A production client for ``base_url``: real HTTP, generous limiter, fake time, a wire log."""
    fake, log = FakeTime(floor=1e-6), WireLog()
    # A real HTTP transport; sharing one SSL context saves ~30 ms of certificate loading per client.
    transport = httpx.HTTPTransport(verify=_SSL_CONTEXT)
    http = build_http_client(base_url=base_url, token=token, timeout=httpx.Timeout(10.0), transport=transport)
    http.event_hooks = {"request": [log.on_request], "response": [log.on_response]}
    client = RunComfyClient(
        http,
        limiter=TokenBucket(1000.0, 1000, clock=fake.clock, sleep=fake.sleep),
        retry=policy,
        queue_api_version=queue_api_version,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    return Connected(client, log, fake)


# -- the two targets -------------------------------------------------------------------------------


class Target:
    """An emulator reachable over HTTP, driven in process (embedded) or through ``/_emulator`` (serve)."""

    def __init__(self, kind: str, base_url: str, embedded: EmbeddedEmulator | None = None) -> None:
        self.kind, self.base_url, self.embedded = kind, base_url, embedded
        self.admin = httpx.Client(base_url=base_url, timeout=10, verify=_SSL_CONTEXT)

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self.admin.request(method, path, json=body)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json()

    def reset(self) -> None:
        if self.embedded is not None:
            self.embedded.state.reset()
        else:
            self._admin("POST", "/_emulator/reset")

    def register_workflow(self, workflow_id: str, version: str, graph: dict[str, Any]) -> None:
        if self.embedded is not None:
            self.embedded.register_workflow(workflow_id, version, graph)
        else:
            body = {"workflow_id": workflow_id, "version": version, "workflow_api_json": graph}
            self._admin("POST", "/_emulator/workflows", body)

    def configure(self, **settings: Any) -> None:
        if self.embedded is not None:
            self.embedded.configure(**settings)
        else:
            self._admin("POST", "/_emulator/config", settings)

    def set_faults(self, **settings: Any) -> None:
        if self.embedded is not None:
            self.embedded.set_faults(**settings)
        else:
            self._admin("POST", "/_emulator/faults", settings)


def start_embedded(state_dir: Path, **kwargs: Any) -> EmbeddedEmulator:
    """Start an :class:`EmbeddedEmulator` on its own state."""
    return EmbeddedEmulator(state_dir, **kwargs).start()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"emulator serve exited with {proc.returncode}: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/_emulator/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"emulator serve did not answer within {STARTUP_SECONDS}s: {log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module", params=["embedded", "serve"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """One emulator per module and target kind; tests reset it through :func:`target`."""
    state = tmp_path_factory.mktemp(f"contract-{request.param}")
    if request.param == "embedded":
        emu = start_embedded(state / "state")
        target = Target("embedded", emu.base_url, emu)
        try:
            yield target
        finally:
            target.admin.close()
            emu.stop()
        return
    port, log = _free_port(), state / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNCOMFY_")}
    cmd = [
        sys.executable, "-m", "reconciler", "emulator", "serve",
        "--port", str(port), "--state", str(state / "state"), "--no-rate-limit",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=state, env=env)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", proc, log)
        target = Target("serve", f"http://127.0.0.1:{port}")
        try:
            yield target
        finally:
            target.admin.close()
    finally:
        _stop(proc)


@pytest.fixture
def target(server: Target) -> Target:
    """The module's emulator, reset: workflow ``wf-txt2img`` v1 and v2, no rate limit, instant queue."""
    server.reset()
    server.configure(rate_limit_enabled=False, queue_seconds=0, run_seconds=0.2)
    server.register_workflow(WF, "v1", GRAPH)
    server.register_workflow(WF, "v2", GRAPH_V2)
    return server


@pytest.fixture
def make(target: Target) -> Iterator[Callable[..., Connected]]:
    """Build clients for the target; all are closed at teardown."""
    made: list[Connected] = []

    def build(**kwargs: Any) -> Connected:
        connected = connect(target.base_url, **kwargs)
        made.append(connected)
        return connected

    yield build
    for connected in made:
        connected.client.http.close()


@pytest.fixture
def api(make: Callable[..., Connected]) -> Connected:
    """The default client (queue API v1)."""
    return make()


# -- helpers ---------------------------------------------------------------------------------------


def _name(prefix: str = "dep") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(client: RunComfyClient, name: str | None = None, **fields: Any) -> wire.Deployment:
    body = {"workflow_id": WF, "workflow_version": "v1", **fields}
    return client.create_deployment(wire.DeploymentCreate(name=name or _name(), **body))


def wait_terminal(client: RunComfyClient, deployment_id: str, request_id: str, timeout: float = 10.0) -> list[str]:
    """Poll the status until it is terminal; returns every status seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.request_status(deployment_id, request_id)
        seen.append(status.status)
        if status.is_terminal:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"request {request_id} not terminal after {timeout}s: {seen}")


def wait_status(client: RunComfyClient, deployment_id: str, request_id: str, wanted: str) -> wire.RequestStatus:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = client.request_status(deployment_id, request_id)
        if status.status == wanted:
            return status
        time.sleep(0.02)
    raise AssertionError(f"request {request_id} never reached {wanted!r}")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking every chunk's CRC and the decompressed pixel data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    pos, width, height, color, depth, idat = 8, 0, 0, -1, 0, b""
    chunks: list[bytes] = []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, payload = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + payload) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        chunks.append(kind)
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", payload[:10])
        elif kind == b"IDAT":
            idat += payload
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", chunks
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    assert depth == 8
    assert len(zlib.decompress(idat)) == height * (1 + width * channels)
    return width, height


def _rank(status: str) -> int:
    return ["in_queue", "in_progress", "completed", "cancelled"].index(status)


# -- deployments -----------------------------------------------------------------------------------


def test_list_bare_includes_and_ids_filter(api: Connected, target: Target) -> None:
    client = api.client
    a, b = create(client, _name("list-a")), create(client, _name("list-b"))

    raw = client.http.get("/prod/v2/deployments")
    assert raw.status_code == 200 and isinstance(raw.json(), list)  # the emulator answers a bare array

    bare = {d.id: d for d in client.list_deployments()}
    assert set(bare) == {a.id, b.id}
    assert bare[a.id].name == a.name and bare[b.id].hardware == ["AMPERE_48"]
    assert all(d.payload is None and d.readme is None for d in bare.values())
    assert api.log.exchanges[-1].query == []

    with_payload = client.list_deployments(include_payload=True)
    assert api.log.exchanges[-1].query == [("includes", "payload")]
    assert {d.id for d in with_payload} == {a.id, b.id}
    for dep in with_payload:
        assert dep.payload is not None and dep.readme is None
        assert dep.payload.workflow_api_json == GRAPH
        assert dep.payload.object_info_url is not None and dep.payload.object_info_url.startswith(target.base_url)

    with_readme = client.list_deployments(include_readme=True)
    assert api.log.exchanges[-1].query == [("includes", "readme")]
    for dep in with_readme:
        assert dep.payload is None and dep.readme is not None and dep.name in dep.readme

    both = client.list_deployments(include_payload=True, include_readme=True)
    assert all(d.payload is not None and d.readme for d in both)

    only_a = client.list_deployments(ids=[a.id])
    assert [d.id for d in only_a] == [a.id]
    assert api.log.exchanges[-1].query == [("ids", a.id)]
    assert {d.id for d in client.list_deployments(ids=[a.id, b.id])} == {a.id, b.id}
    assert api.log.exchanges[-1].query == [("ids", a.id), ("ids", b.id)]
    assert client.list_deployments(ids=[str(uuid.uuid4())]) == []


def test_get_one_deployment_with_and_without_includes(api: Connected) -> None:
    client = api.client
    made = create(client, _name("get"), hardware=["AMPERE_24"], max_instances=2)
    got = client.get_deployment(made.id)
    assert got.model_dump(exclude={"payload", "readme"}) == made.model_dump(exclude={"payload", "readme"})
    assert got.payload is None and got.readme is None
    full = client.get_deployment(made.id, include_payload=True, include_readme=True)
    assert api.log.exchanges[-1].query == [("includes", "payload"), ("includes", "readme")]
    assert full.payload is not None and full.payload.workflow_api_json == GRAPH
    assert full.readme is not None and made.name in full.readme


def test_create_returns_the_record_and_sends_hardware_as_a_list(api: Connected) -> None:
    client = api.client
    name = _name("create")
    made = create(
        client, name, hardware="ADA_48_PLUS", min_instances=0, max_instances=3, queue_size=2,
        keep_warm_duration_in_seconds=30,
    )
    sent = api.log.matching("POST", "/prod/v2/deployments")
    assert len(sent) == 1 and sent[0].status == 200
    assert sent[0].body == {
        "name": name, "workflow_id": WF, "workflow_version": "v1", "hardware": ["ADA_48_PLUS"],
        "min_instances": 0, "max_instances": 3, "queue_size": 2, "keep_warm_duration_in_seconds": 30,
    }
    assert made.id and made.name == name and made.hardware == ["ADA_48_PLUS"]
    assert (made.max_instances, made.queue_size, made.keep_warm_duration_in_seconds) == (3, 2, 30)
    assert made.status == "standby" and made.is_enabled is True and made.created_at
    assert client.get_deployment(made.id).hardware == ["ADA_48_PLUS"]


def test_update_patch_carries_name_and_only_the_changes(api: Connected) -> None:
    client = api.client
    made = create(client, _name("patch"))
    updated = client.update_deployment(made.id, name=made.name, changes={"hardware": "AMPERE_80", "max_instances": 4})
    patch = api.log.matching("PATCH", made.id)[-1]
    assert patch.body == {"name": made.name, "hardware": ["AMPERE_80"], "max_instances": 4}
    assert updated.hardware == ["AMPERE_80"] and updated.max_instances == 4 and updated.name == made.name

    renamed = client.update_deployment(made.id, name="renamed-" + made.name, changes={"workflow_version": "v2"})
    assert api.log.matching("PATCH", made.id)[-1].body == {"name": "renamed-" + made.name, "workflow_version": "v2"}
    assert renamed.name == "renamed-" + made.name and renamed.workflow_version == "v2"
    got = client.get_deployment(made.id)
    assert (got.name, got.workflow_version, got.hardware) == ("renamed-" + made.name, "v2", ["AMPERE_80"])

    sent = len(api.log.exchanges)
    with pytest.raises(errors.UnpatchableFieldError):
        client.update_deployment(made.id, name=made.name, changes={"workflow_id": "other"})
    assert len(api.log.exchanges) == sent  # refused before anything went out


def test_delete_then_get_is_deployment_deleted_10003(api: Connected) -> None:
    """The emulator documents 10003 (HTTP 404) for every call on a deleted deployment, not 404001."""
    client = api.client
    made, other = create(client, _name("del")), create(client, _name("keep"))
    assert client.delete_deployment(made.id) is None
    assert api.log.matching("DELETE", made.id)[-1].status == 200
    with pytest.raises(errors.DeploymentDeletedError) as caught:
        client.get_deployment(made.id)
    assert not isinstance(caught.value, errors.NotFoundError)
    assert (caught.value.status, caught.value.error_code) == (404, 10003)
    assert [d.id for d in client.list_deployments()] == [other.id]
    with pytest.raises(errors.DeploymentDeletedError):
        client.delete_deployment(made.id)  # a second delete is not silently "already gone"
    with pytest.raises(errors.DeploymentDeletedError):
        client.update_deployment(made.id, name=made.name, changes={"max_instances": 2})
    with pytest.raises(errors.DeploymentDeletedError):
        client.submit_inference(made.id, overrides={})
    assert len(api.log.matching("GET", made.id)) == 1  # 10003 is not retried


# -- inference queue -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_submit_with_overrides_poll_result_and_download(make: Callable[..., Connected], version: str) -> None:
    api = make(queue_api_version=version)
    client = api.client
    dep = create(client, _name("run"))
    overrides = {"5": {"inputs": {"width": 96, "height": 40}}, "6": {"inputs": {"text": "a red fox"}}}

    sub = client.submit_inference(dep.id, overrides=overrides)
    posted = api.log.matching("POST", "/inference")
    assert [e.path for e in posted] == [f"/prod/{version}/deployments/{dep.id}/inference"]
    assert posted[0].body == {"overrides": overrides}
    assert sub.request_id and sub.status_url and f"/prod/{version}/" in sub.status_url
    assert sub.result_url and sub.cancel_url

    seen = wait_terminal(client, dep.id, sub.request_id)
    assert seen[-1] == "completed" and seen == sorted(seen, key=_rank)
    assert all(f"/prod/{version}/" in e.path for e in api.log.matching("GET", "/requests/"))

    result = client.request_result(dep.id, sub.request_id)
    assert result.succeeded and result.request_id == sub.request_id and result.instance_id
    images = result.outputs["9"]["images"]
    assert len(images) == 1 and isinstance(images[0], dict) and images[0]["filename"].endswith(".png")
    assert png_size(client.download(images[0]["url"])) == (96, 40)

    plain = client.submit_inference(dep.id)  # no overrides: the workflow's own 1024x1024
    assert api.log.matching("POST", "/inference")[-1].body == {"overrides": {}}  # RunComfy refuses a body without it
    wait_terminal(client, dep.id, plain.request_id)
    url = client.request_result(dep.id, plain.request_id).outputs["9"]["images"][0]
    assert isinstance(url, dict) and png_size(client.download(url["url"])) == (1024, 1024)


def test_status_moves_in_queue_then_in_progress_then_completed(api: Connected, target: Target) -> None:
    target.configure(queue_seconds=0.4, run_seconds=0.4)
    client = api.client
    dep = create(client, _name("lifecycle"))
    sub = client.submit_inference(dep.id)
    first = client.request_status(dep.id, sub.request_id)
    assert first.status == "in_queue" and first.queue_position == 0 and first.instance_id is None
    running = wait_status(client, dep.id, sub.request_id, "in_progress")
    assert running.instance_id
    seen = ["in_queue", "in_progress", *wait_terminal(client, dep.id, sub.request_id)]
    assert seen == sorted(seen, key=_rank) and seen[-1] == "completed"
    done = client.request_status(dep.id, sub.request_id)
    assert done.instance_id == running.instance_id


def test_failed_run_result_carries_the_error(api: Connected, target: Target) -> None:
    target.configure(fail_next_runs=1)
    client = api.client
    dep = create(client, _name("fail"))
    sub = client.submit_inference(dep.id)
    assert wait_terminal(client, dep.id, sub.request_id)[-1] == "completed"  # completed is not success
    result = client.request_result(dep.id, sub.request_id)
    assert result.status == "failed" and not result.succeeded and result.outputs == {}
    assert result.error and result.error[0].type == "execution_error" and result.error[0].message


def test_cancel_in_queue_then_completed_is_not_cancellable(api: Connected, target: Target) -> None:
    client = api.client
    dep = create(client, _name("cancel"))
    done = client.submit_inference(dep.id)
    wait_terminal(client, dep.id, done.request_id)

    target.configure(queue_seconds=600)
    queued = client.submit_inference(dep.id)
    assert client.request_status(dep.id, queued.request_id).status == "in_queue"
    answer = client.cancel_request(dep.id, queued.request_id)
    assert api.log.exchanges[-1].status == 202
    assert answer.outcome == "cancelled" and answer.request_id == queued.request_id
    assert client.request_status(dep.id, queued.request_id).status == "cancelled"
    assert client.request_result(dep.id, queued.request_id).status == "cancelled"

    late = client.cancel_request(dep.id, done.request_id)
    assert late.outcome == "not_cancellable"
    assert client.request_result(dep.id, done.request_id).succeeded


def test_delete_request_conflicts_while_running_then_purges_once(api: Connected, target: Target) -> None:
    client = api.client
    dep = create(client, _name("purge"))
    done = client.submit_inference(dep.id)
    wait_terminal(client, dep.id, done.request_id)
    url = client.request_result(dep.id, done.request_id).outputs["9"]["images"][0]
    assert isinstance(url, dict)

    target.configure(run_seconds=600)
    running = client.submit_inference(dep.id)
    wait_status(client, dep.id, running.request_id, "in_progress")
    with pytest.raises(errors.ConflictError) as caught:
        client.delete_request(dep.id, running.request_id)
    assert caught.value.status == 409
    assert len(api.log.matching("DELETE", running.request_id)) == 1  # a conflict is not retried

    first = client.delete_request(dep.id, done.request_id)
    assert first.status == "deleted" and first.deleted_objects > 0
    assert client.delete_request(dep.id, done.request_id).deleted_objects == 0
    assert client.request_result(dep.id, done.request_id).outputs == {}
    with pytest.raises(errors.NotFoundError):
        client.download(url["url"])


def test_proxy_reaches_a_live_instance_and_404s_an_unknown_one(api: Connected, target: Target) -> None:
    target.configure(run_seconds=600)
    client = api.client
    dep = create(client, _name("proxy"))
    sub = client.submit_inference(dep.id)
    instance = wait_status(client, dep.id, sub.request_id, "in_progress").instance_id
    assert instance

    freed = client.proxy(dep.id, instance, "api/free", json={"unload_models": True, "free_memory": True})
    assert freed.status_code == 200
    sent = api.log.exchanges[-1]
    assert sent.path == f"/prod/v2/deployments/{dep.id}/instances/{instance}/proxy/api/free"
    assert sent.body == {"unload_models": True, "free_memory": True}
    info = client.proxy(dep.id, instance, "object_info").json()
    assert info["KSampler"]["input"]["required"]["steps"][0] == "INT"

    with pytest.raises(errors.NotFoundError) as caught:
        client.proxy(dep.id, "instance-does-not-exist", "api/free", json={})
    assert caught.value.error_code == 404001
    assert len(api.log.matching("POST", "instance-does-not-exist")) == 1


def test_fetch_object_info_from_the_payload_url(api: Connected) -> None:
    client = api.client
    dep = client.get_deployment(create(client, _name("info")).id, include_payload=True)
    assert dep.payload is not None and dep.payload.object_info_url
    info = client.fetch_object_info(dep.payload.object_info_url)
    assert {"KSampler", "EmptyLatentImage", "SaveImage"} <= set(info)
    assert info["EmptyLatentImage"]["input"]["required"]["width"][0] == "INT"


# -- error paths -----------------------------------------------------------------------------------


def test_missing_token_is_401(api: Connected, target: Target) -> None:
    bare = httpx.get(f"{target.base_url}/prod/v2/deployments", timeout=5)
    assert bare.status_code == 401 and bare.json()["error_code"] == 401001
    del api.client.http.headers["Authorization"]
    with pytest.raises(errors.AuthenticationError) as caught:
        api.client.list_deployments()
    assert (caught.value.status, caught.value.error_code) == (401, 401001)
    assert "RUNCOMFY_API_TOKEN" in caught.value.detail
    assert len(api.log.exchanges) == 1  # never retried


def test_client_with_an_empty_token_gets_401(make: Callable[..., Connected]) -> None:
    api = make(token="")
    with pytest.raises(errors.AuthenticationError) as caught:
        api.client.list_deployments()
    assert (caught.value.status, caught.value.error_code) == (401, 401001)
    assert len(api.log.exchanges) == 1  # never retried


def test_wrong_token_against_a_pinned_token_is_401(tmp_path: Path) -> None:
    """``required_token`` is an EmbeddedEmulator option (``emulator serve`` accepts any non-empty token)."""
    emu = start_embedded(tmp_path / "pinned", required_token="right-token-123")
    wrong = connect(emu.base_url, token="wrong-token-456")
    right = connect(emu.base_url, token="right-token-123")
    try:
        with pytest.raises(errors.AuthenticationError) as caught:
            wrong.client.list_deployments()
        text = f"{caught.value}\n{caught.value.detail}"
        assert "wrong-token-456" not in text and "right-token-123" not in text
        assert "RUNCOMFY_API_TOKEN" in caught.value.detail
        assert len(wrong.log.exchanges) == 1
        assert right.client.list_deployments() == []
    finally:
        wrong.client.http.close()
        right.client.http.close()
        emu.stop()


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"hardware": ["H200_NOPE"]}, "hardware"),
        ({"min_instances": 5, "max_instances": 2}, "max_instances"),
        ({"workflow_version": "v9"}, "workflow_version"),
        ({"workflow_id": "wf-unknown"}, "workflow_id"),
        ({"max_instances": 61}, "max_instances"),
    ],
)
def test_create_validation_is_422001_with_detail(api: Connected, fields: dict[str, Any], loc: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        create(api.client, _name("bad"), **fields)
    error = caught.value
    assert (error.status, error.error_code) == (422, 422001)
    assert isinstance(error.api_detail, list) and ["body", loc] in [item["loc"] for item in error.api_detail]
    assert loc in error.summary  # the API's detail reaches the one-line message
    assert len(api.log.matching("POST", "/prod/v2/deployments")) == 1  # not retried, not reconciled
    assert api.client.list_deployments() == []


def test_patch_validation(api: Connected) -> None:
    client = api.client
    dep = create(client, _name("patch-bad"))
    # The client always sends the name, so a PATCH without one must go through the raw httpx client.
    raw = client.http.patch(f"/prod/v2/deployments/{dep.id}", json={"max_instances": 2})
    assert raw.status_code == 422
    assert raw.json()["error_code"] == 422001 and "name is required" in raw.json()["error_message"]
    with pytest.raises(errors.ValidationError) as caught:
        client.update_deployment(dep.id, name=dep.name, changes={"min_instances": 3, "max_instances": 2})
    assert ["body", "max_instances"] in [item["loc"] for item in caught.value.api_detail]
    with pytest.raises(errors.ValidationError):
        client.update_deployment(dep.id, name=dep.name, changes={"workflow_version": "v9"})
    with pytest.raises(errors.ValidationError):
        client.update_deployment(dep.id, name=dep.name, changes={"hardware": ["AMPERE_24", "AMPERE_48"]})
    assert client.get_deployment(dep.id).max_instances == 1  # nothing changed


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"999": {"inputs": {"seed": 1}}}, "999"),
        ({"3": {"inputs": {"no_such_input": 1}}}, "no_such_input"),
        ({"3": {"inputs": {"model": "not-a-link"}}}, "model"),
    ],
)
def test_bad_overrides_are_422001_with_detail(api: Connected, overrides: dict[str, Any], fragment: str) -> None:
    client = api.client
    dep = create(client, _name("override"))
    with pytest.raises(errors.ValidationError) as caught:
        client.submit_inference(dep.id, overrides=overrides)
    error = caught.value
    assert (error.status, error.error_code) == (422, 422001)
    assert error.api_detail and any(fragment in json.dumps(item) for item in error.api_detail)
    assert fragment in error.summary
    assert len(api.log.matching("POST", "/inference")) == 1


def test_disabled_deployment_submit_is_10002(api: Connected) -> None:
    client = api.client
    dep = create(client, _name("disabled"))
    assert client.update_deployment(dep.id, name=dep.name, changes={"is_enabled": False}).is_enabled is False
    with pytest.raises(errors.DeploymentDisabledError) as caught:
        client.submit_inference(dep.id, overrides={})
    assert (caught.value.status, caught.value.error_code) == (403, 10002)
    assert len(api.log.matching("POST", "/inference")) == 1
    client.update_deployment(dep.id, name=dep.name, changes={"is_enabled": True})
    assert client.submit_inference(dep.id).request_id


def test_unknown_deployment_and_request_are_404001(api: Connected) -> None:
    client = api.client
    ghost = str(uuid.uuid4())
    calls: list[Callable[[], Any]] = [
        lambda: client.get_deployment(ghost),
        lambda: client.update_deployment(ghost, name="x", changes={}),
        lambda: client.delete_deployment(ghost),
        lambda: client.submit_inference(ghost),
        lambda: client.request_status(ghost, str(uuid.uuid4())),
    ]
    for call in calls:
        with pytest.raises(errors.NotFoundError) as caught:
            call()
        assert (caught.value.status, caught.value.error_code) == (404, 404001)
        assert not isinstance(caught.value, errors.DeploymentDeletedError)
    dep = create(client, _name("known"))
    with pytest.raises(errors.NotFoundError):
        client.request_result(dep.id, str(uuid.uuid4()))
    assert len(api.log.exchanges) == len(calls) + 2  # one create, one result: nothing was retried


def test_rate_limit_429_is_retried_after_retry_after_then_surfaces(
    make: Callable[..., Connected], target: Target
) -> None:
    """The documented behaviour: 429 is retried honouring Retry-After (the whole limiter pauses), up to
    ``max_attempts``; then RateLimitedError carries ``retry_after``. A Retry-After over the policy's
    ``max_retry_after`` escalates at once."""
    api = make(token=f"rl-{uuid.uuid4().hex}")  # the emulator's bucket is per token
    target.configure(rate_limit_enabled=True, rate_limit_per_second=0.01, rate_limit_burst=2)
    api.client.list_deployments()
    api.client.list_deployments()
    with pytest.raises(errors.RateLimitedError) as caught:
        api.client.list_deployments()
    error = caught.value
    assert error.status == 429 and error.error_code == "rate_limited"
    assert error.retry_after is not None and 90 <= error.retry_after <= 100
    limited = [e for e in api.log.exchanges if e.status == 429]
    assert len(limited) == FAST_RETRY.max_attempts and all(int(e.headers["retry-after"]) >= 90 for e in limited)
    assert api.time.now >= (FAST_RETRY.max_attempts - 1) * 90  # the limiter waited out each Retry-After

    patient = make(token=f"rl-{uuid.uuid4().hex}")
    target.configure(rate_limit_per_second=0.0001, rate_limit_burst=1)
    patient.client.list_deployments()
    with pytest.raises(errors.RateLimitedError) as caught:
        patient.client.list_deployments()
    assert caught.value.retry_after is not None and caught.value.retry_after > FAST_RETRY.max_retry_after
    assert len(patient.log.exchanges) == 2  # over max_retry_after: escalated without retrying


def test_injected_429s_are_retried_until_success(make: Callable[..., Connected], target: Target) -> None:
    api = make(policy=RetryPolicy(base=0.001, cap=0.004, max_attempts=12))
    dep = create(api.client, _name("rl"))
    target.set_faults(rate_limit_rate=0.5, seed=7)
    for _ in range(8):
        assert api.client.get_deployment(dep.id).id == dep.id
    limited = [e for e in api.log.exchanges if e.status == 429]
    assert limited and all(e.headers["retry-after"] == "1" for e in limited)
    assert api.time.now >= len(limited)  # one second of (fake) pause per 429


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_5xx_is_retried_for_idempotent_calls(make: Callable[..., Connected], target: Target, method: str) -> None:
    api = make(policy=RetryPolicy(base=0.001, cap=0.004, max_attempts=12))
    client = api.client
    deps = [create(client, _name("5xx")) for _ in range(4)]
    target.set_faults(error_rate=0.5, methods=[method], seed=3)
    for dep in deps:
        if method == "GET":
            assert client.get_deployment(dep.id).id == dep.id
        elif method == "PATCH":
            assert client.update_deployment(dep.id, name=dep.name, changes={"queue_size": 3}).queue_size == 3
        else:
            client.delete_deployment(dep.id)
    failed = [e for e in api.log.exchanges if e.status == 500]
    assert failed and all(e.method == method for e in failed)
    assert sum(1 for s in api.log.exchanges if s.method == method and s.status == 200) == len(deps)

    target.set_faults(error_rate=1.0, methods=["GET"])
    before = len(api.log.exchanges)
    with pytest.raises(errors.ServerError) as caught:
        client.list_deployments()
    assert caught.value.error_code == 500001
    assert len(api.log.exchanges) - before == 12  # every attempt, then it surfaces


def test_inference_post_after_a_5xx_is_never_resent(api: Connected, target: Target) -> None:
    client = api.client
    dep = create(client, _name("once"))
    target.set_faults(error_rate=1.0, methods=["POST"], path_prefix=f"/prod/v1/deployments/{dep.id}/inference")
    with pytest.raises(errors.ServerError):
        client.submit_inference(dep.id, overrides={"6": {"inputs": {"text": "x"}}})
    assert len(api.log.matching("POST", "/inference")) == 1


def test_create_that_failed_before_landing_is_resent_only_after_a_relist_within_the_budget(
    api: Connected, target: Target
) -> None:
    client = api.client
    target.set_faults(error_rate=1.0, methods=["POST"], path_prefix="/prod/v2/deployments")
    name = _name("lost")
    before = len(api.log.exchanges)
    with pytest.raises(errors.ServerError) as caught:
        create(client, name)
    assert CREATE_MAY_HAVE_LANDED in str(caught.value)
    sent = [(e.method, e.path) for e in api.log.exchanges[before:]]
    budget = client.policy.max_attempts
    assert sent == [("POST", "/prod/v2/deployments"), ("GET", "/prod/v2/deployments")] * budget  # re-list, then resend
    assert all(d.name != name for d in client.list_deployments())


@pytest.mark.parametrize("mode", ["error", "drop"])
def test_ambiguous_create_is_adopted_not_duplicated(api: Connected, target: Target, mode: str) -> None:
    client = api.client
    target.set_faults(ambiguous_create_rate=1.0, ambiguous_create_mode=mode)
    name = _name("ambiguous")
    adopted = create(client, name, hardware=["AMPERE_24"])
    posts = api.log.matching("POST", "/prod/v2/deployments")
    assert len(posts) == 1 and posts[0].status == (500 if mode == "error" else None)
    assert adopted.name == name and adopted.hardware == ["AMPERE_24"]
    listed = [d for d in client.list_deployments() if d.name == name]
    assert [d.id for d in listed] == [adopted.id]


def test_embedded_emulator_answers_without_a_nagle_delay(tmp_path: Path) -> None:
    with EmbeddedEmulator(tmp_path / "plain") as emu, httpx.Client(base_url=emu.base_url) as http:
        http.get("/_emulator/health")  # connection set up
        timings = []
        for _ in range(8):
            started = time.perf_counter()
            assert http.get("/_emulator/health").status_code == 200
            timings.append(time.perf_counter() - started)
    assert min(timings) < 0.02, f"fastest of 8 loopback answers took {min(timings) * 1000:.0f} ms"
