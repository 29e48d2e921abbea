"""The acceptance scenario: 50 mixed client calls against an emulator injecting 30 % 5xx and 10 % 429.

The client is the production one (realistic :class:`RetryPolicy`, the documented 1 request/s limiter)
on a fake clock, so no call really sleeps. Every call may end in an :class:`ApiError` once its retries
are exhausted (a handled outcome); any other exception escaping fails the test. Afterwards: no two
live deployments share a name (no duplicate from a retried create), every create either returned a
deployment or said it may or may not have landed, the deployments the script knows about are where
it thinks they are, listing converges on the emulator's own state, and no inference submit was sent
twice once it could have landed.
"""

from __future__ import annotations

import collections
import itertools
import json
import ssl
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
from reconciler.runcomfy.ratelimit import DEFAULT_BURST, DEFAULT_RATE, TokenBucket
from support.fake_time import FakeTime

DATA = Path(__file__).parents[1] / "data"
GRAPH: dict[str, Any] = json.loads((DATA / "workflows" / "txt2img.json").read_text(encoding="utf-8"))
WF = "wf-txt2img"
TOKEN = "faults-token-0123"
SEEDS = [1, 2, 3]
SKUS = ["AMPERE_24", "AMPERE_48", "ADA_48_PLUS"]
_SSL_CONTEXT = ssl.create_default_context()

_SCRIPT_LINES = (
    "create create create list get update create submit status list",
    "create get update submit status create delete list get submit",
    "status create update list delete create get submit status update",
    "list create delete get submit status list update create get",
    "delete submit status list update create get list delete list",
)
SCRIPT: list[str] = [op for line in _SCRIPT_LINES for op in line.split()]


# -- harness (the same shape as test_client_contract.py) -------------------------------------------


@dataclass
class Exchange:
    method: str
    path: str
    status: int | None = None  # None: the connection dropped before an answer


class WireLog:
    """Every exchange of one ``httpx.Client``, recorded by its event hooks."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._open: dict[int, Exchange] = {}

    def on_request(self, request: httpx.Request) -> None:
        exchange = Exchange(request.method, request.url.path)
        self.exchanges.append(exchange)
        self._open[id(request)] = exchange

    def on_response(self, response: httpx.Response) -> None:
        exchange = self._open.pop(id(response.request), None)
        if exchange is not None:
            exchange.status = response.status_code


def make_client(base_url: str, fake: FakeTime, log: WireLog, policy: RetryPolicy | None = None,
                limiter: TokenBucket | None = None) -> RunComfyClient:
    transport = httpx.HTTPTransport(verify=_SSL_CONTEXT)
    http = build_http_client(base_url=base_url, token=TOKEN, timeout=httpx.Timeout(10.0), transport=transport)
    http.event_hooks = {"request": [log.on_request], "response": [log.on_response]}
    return RunComfyClient(
        http,
        limiter=limiter or TokenBucket(DEFAULT_RATE, DEFAULT_BURST, clock=fake.clock, sleep=fake.sleep),
        retry=policy or RetryPolicy(),
        clock=fake.clock,
        sleep=fake.sleep,
    )


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedEmulator]:
    """An embedded emulator (its own state, no rate limit, instant runs) with the txt2img workflow."""
    emulator = EmbeddedEmulator(tmp_path / "emulator").start()
    try:
        emulator.configure(rate_limit_enabled=False, queue_seconds=0, run_seconds=0.05)
        emulator.register_workflow(WF, "v1", GRAPH)
        yield emulator
    finally:
        emulator.stop()


def live_records(emu: EmbeddedEmulator) -> dict[str, str]:
    """The emulator's own view: live deployment id -> name."""
    with emu.state.read() as data:
        return {d["id"]: d["name"] for d in data["deployments"].values() if not d.get("deleted")}


def stored_requests(emu: EmbeddedEmulator) -> int:
    with emu.state.read() as data:
        return len(data["requests"])


# -- the scripted run ------------------------------------------------------------------------------


@dataclass
class Scenario:
    """Runs :data:`SCRIPT` and remembers what the client was told."""

    client: RunComfyClient
    log: WireLog
    seed: int
    created: dict[str, wire.Deployment] = field(default_factory=dict)
    create_errors: dict[str, errors.ApiError] = field(default_factory=dict)
    live: list[wire.Deployment] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    maybe_deleted: set[str] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    submits: list[tuple[list[Exchange], wire.SubmitResponse | errors.ApiError]] = field(default_factory=list)
    outcomes: list[tuple[str, str]] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)

    def run(self) -> None:
        for step, op in enumerate(SCRIPT):
            action: Callable[[int], Any] = getattr(self, f"_{op}")
            before = len(self.log.exchanges)
            try:
                result: Any = action(step)
                self.outcomes.append((op, "ok"))
            except errors.ApiError as error:  # a handled outcome; anything else escapes and fails the test
                result = error
                self.outcomes.append((op, type(error).__name__))
            if op == "submit" and result is not None:
                self.submits.append((self.log.exchanges[before:], result))

    def _create(self, step: int) -> None:
        name = f"s{self.seed}-step{step:02d}"
        body = wire.DeploymentCreate(
            name=name, workflow_id=WF, workflow_version="v1", hardware=[SKUS[step % 3]], max_instances=1 + step % 3
        )
        before = len(self.log.exchanges)
        try:
            made = self.client.create_deployment(body)
        except errors.ApiError as error:
            self.create_errors[name] = error
            raise
        assert made.name == name and body.matches(made)
        exchanges = self.log.exchanges[before:]
        posts = [i for i, e in enumerate(exchanges) if e.method == "POST"]
        for earlier, later in itertools.pairwise(posts):  # re-sent only when it surely did not land:
            relisted = any(e.method == "GET" and e.path == "/prod/v2/deployments" for e in exchanges[earlier:later])
            assert exchanges[earlier].status == 429 or relisted, exchanges  # a 429, or a re-list showed it absent
        posts = [exchanges[i] for i in posts]
        if posts[-1].status != 200:
            self.adopted.append(name)  # the answer was lost, the client re-listed and adopted it
        self.created[name] = made
        self.live.append(made)

    def _list(self, step: int) -> None:
        self.client.list_deployments(include_payload=step % 2 == 0)

    def _get(self, step: int) -> None:
        if not self.live:
            return self._list(step)
        target = self.live[-1]
        assert self.client.get_deployment(target.id).id == target.id
        return None

    def _update(self, step: int) -> None:
        if not self.live:
            return self._list(step)
        target = self.live[0]
        updated = self.client.update_deployment(target.id, name=target.name, changes={"queue_size": 1 + step % 4})
        assert updated.queue_size == 1 + step % 4
        return None

    def _submit(self, step: int) -> wire.SubmitResponse | None:
        if not self.live:
            self._list(step)
            return None
        target = self.live[0]
        overrides = {"5": {"inputs": {"width": 64, "height": 64}}, "6": {"inputs": {"text": f"step {step}"}}}
        submitted = self.client.submit_inference(target.id, overrides=overrides)
        self.requests.append((target.id, submitted.request_id))
        return submitted

    def _status(self, step: int) -> None:
        if not self.requests:
            return self._list(step)
        deployment_id, request_id = self.requests[-1]
        self.client.request_status(deployment_id, request_id)
        return None

    def _delete(self, step: int) -> None:
        if len(self.live) < 2:  # keep the deployment that takes the submits
            return self._list(step)
        target = self.live.pop()
        try:
            self.client.delete_deployment(target.id)
        except errors.ApiError:
            self.maybe_deleted.add(target.id)
            raise
        self.deleted.add(target.id)
        return None


FAULTS: dict[str, dict[str, Any]] = {
    "5xx-429": {"error_rate": 0.3, "rate_limit_rate": 0.1},
    "5xx-429-ambiguous-drop": {
        "error_rate": 0.3, "rate_limit_rate": 0.1, "drop_rate": 0.05, "ambiguous_create_rate": 0.3,
    },
}


def test_script_is_fifty_mixed_calls() -> None:
    counts = collections.Counter(SCRIPT)
    assert len(SCRIPT) == 50
    assert set(counts) == {"create", "list", "get", "update", "submit", "status", "delete"}
    assert counts["create"] >= 10 and counts["delete"] >= 5 and counts["submit"] >= 5


@pytest.mark.parametrize("variant", sorted(FAULTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_fifty_calls_under_faults_leave_no_duplicate(emu: EmbeddedEmulator, seed: int, variant: str) -> None:
    faults = dict(FAULTS[variant], seed=seed)
    if "ambiguous_create_rate" in faults:
        faults["ambiguous_create_mode"] = "drop" if seed % 2 else "error"
    emu.set_faults(**faults)
    fake, log = FakeTime(floor=1e-6), WireLog()
    client = make_client(emu.base_url, fake, log)
    scenario = Scenario(client, log, seed)
    try:
        scenario.run()
        statuses = collections.Counter(e.status for e in log.exchanges)
        assert statuses[500] > 0 and statuses[429] > 0, statuses  # the faults really fired
        if "drop_rate" in faults:
            assert statuses[None] > 0, statuses

        emu.set_faults()  # calm: the account converges
        first, second = client.list_deployments(), client.list_deployments()
    finally:
        client.http.close()

    assert [d.id for d in first] == [d.id for d in second]
    listed = {d.id: d.name for d in first}
    assert listed == live_records(emu)
    by_name = collections.Counter(listed.values())
    assert all(count == 1 for count in by_name.values()), f"duplicate deployments: {by_name}"

    creates = [op for op in SCRIPT if op == "create"]
    assert len(scenario.created) + len(scenario.create_errors) == len(creates)
    for name, made in scenario.created.items():
        if made.id in scenario.deleted:
            assert made.id not in listed
        elif made.id not in scenario.maybe_deleted:
            assert listed.get(made.id) == name, f"{name} was created as {made.id} but is not listed"
    for name, error in scenario.create_errors.items():
        if isinstance(error, errors.RateLimitedError):  # 429 on every attempt: refused, so not created
            assert name not in by_name
        else:
            assert CREATE_MAY_HAVE_LANDED in str(error), f"{name}: {error}"
    assert set(by_name) <= {f"s{seed}-step{i:02d}" for i, op in enumerate(SCRIPT) if op == "create"}

    # Inference submits: each was sent once, plus once more per 429 (refused, so not landed); nothing
    # follows a 5xx or a drop. Injected faults strike before the route, so the emulator stored exactly
    # the submits that were answered.
    hit_by_5xx = 0
    for exchanges, result in scenario.submits:
        posts = [e for e in exchanges if e.method == "POST" and e.path.endswith("/inference")]
        assert posts, exchanges
        assert all(e.status == 429 for e in posts[:-1]), posts
        if posts[-1].status in (500, None):
            hit_by_5xx += 1
            assert isinstance(result, errors.ServerError | errors.TransportError), result
        if isinstance(result, wire.SubmitResponse):
            assert posts[-1].status == 200
    answered = sum(1 for _, result in scenario.submits if isinstance(result, wire.SubmitResponse))
    assert stored_requests(emu) == answered
    assert answered == len(scenario.requests)
    assert hit_by_5xx > 0, "no submit met a 5xx: the scenario did not exercise the no-resubmit rule"
    if "ambiguous_create_rate" in faults:
        assert scenario.adopted, "no ambiguous create was adopted: the scenario did not exercise adoption"
    else:  # an injected 5xx strikes before the route: nothing landed, so nothing may be adopted
        assert scenario.adopted == []


@pytest.mark.parametrize("fault", ["error_rate", "drop_rate"])
def test_submit_that_met_a_5xx_or_a_drop_is_not_resubmitted(emu: EmbeddedEmulator, fault: str) -> None:
    fake, log = FakeTime(floor=1e-6), WireLog()
    client = make_client(emu.base_url, fake, log)
    try:
        dep = client.create_deployment(wire.DeploymentCreate(name="once", workflow_id=WF, workflow_version="v1"))
        emu.set_faults(**{fault: 1.0}, methods=["POST"], path_prefix=f"/prod/v1/deployments/{dep.id}/inference")
        with pytest.raises(errors.ServerError if fault == "error_rate" else errors.TransportError) as caught:
            client.submit_inference(dep.id, overrides={"6": {"inputs": {"text": "only once"}}})
        if isinstance(caught.value, errors.TransportError):
            assert caught.value.may_have_landed
        posts = [e for e in log.exchanges if e.path.endswith("/inference")]
        assert len(posts) == 1 and posts[0].status == (500 if fault == "error_rate" else None)
        assert stored_requests(emu) == 0
        emu.set_faults()
        assert client.submit_inference(dep.id).request_id  # the deployment itself is fine
        assert stored_requests(emu) == 1
    finally:
        client.http.close()


class Livelock(RuntimeError):
    """The limiter kept sleeping without the clock moving."""


def test_limiter_on_an_exact_fake_clock_survives_429s(emu: EmbeddedEmulator) -> None:
    fake, log = FakeTime(floor=0.0), WireLog()

    def sleep(seconds: float) -> None:
        if len(fake.sleeps) > 10_000:
            raise Livelock(f"{len(fake.sleeps)} sleeps, last {seconds!r}s, clock stuck at {fake.now!r}")
        fake.sleep(seconds)

    limiter = TokenBucket(1000.0, 1000, clock=fake.clock, sleep=sleep)
    client = make_client(emu.base_url, fake, log, policy=RetryPolicy(base=0.001, cap=0.004, max_attempts=12),
                         limiter=limiter)
    try:
        dep = client.create_deployment(wire.DeploymentCreate(name="limited", workflow_id=WF, workflow_version="v1"))
        emu.set_faults(rate_limit_rate=0.5, seed=7)
        for _ in range(8):
            assert client.get_deployment(dep.id).id == dep.id
    finally:
        client.http.close()
