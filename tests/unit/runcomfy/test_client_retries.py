"""RunComfyClient's retry loop: backoff sequences, Retry-After, escalation, and the never-twice POSTs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx

from reconciler.retry import RetryPolicy
from reconciler.runcomfy import errors, wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket

BASE = "https://api.example.test"
LIST = "/prod/v2/deployments"
DEP = {"id": "dep-1", "name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1", "hardware": ["AMPERE_48"],
       "min_instances": 0, "max_instances": 1, "queue_size": 1, "keep_warm_duration_in_seconds": 60}
CREATE = wire.DeploymentCreate(name="t2i", workflow_id="wf-1", workflow_version="v1")


@dataclass
class Harness:
    client: RunComfyClient
    now: float = 0.0
    backoff_sleeps: list[float] = field(default_factory=list)
    limiter_sleeps: list[float] = field(default_factory=list)


@pytest.fixture
def router() -> Iterator[respx.Router]:
    router = respx.Router(base_url=BASE)
    yield router
    router.assert_all_called()


@pytest.fixture
def h(router: respx.Router) -> Harness:
    harness = Harness(client=None)  # type: ignore[arg-type]

    def clock() -> float:
        return harness.now

    def backoff_sleep(seconds: float) -> None:
        harness.backoff_sleeps.append(seconds)
        harness.now += seconds

    def limiter_sleep(seconds: float) -> None:
        harness.limiter_sleeps.append(seconds)
        harness.now += seconds

    http = build_http_client(base_url=BASE, token="tok-123456", transport=httpx.MockTransport(router.handler))
    harness.client = RunComfyClient(http, limiter=TokenBucket(1.0, 5, clock=clock, sleep=limiter_sleep),
                                    clock=clock, sleep=backoff_sleep, rng=lambda: 1.0)
    return harness


def client_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "reconciler.client"]


def test_5xx_backs_off_exponentially_then_succeeds(router: respx.Router, h: Harness,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    route = router.get(LIST).mock(side_effect=[httpx.Response(503), httpx.Response(500, json={
        "error_code": 500001, "error_message": "internal"}), httpx.Response(200, json=[DEP])])
    assert [d.id for d in h.client.list_deployments()] == ["dep-1"]
    assert route.call_count == 3
    assert h.backoff_sleeps == [0.5, 1.0]
    assert client_logs(caplog) == [
        "GET /prod/v2/deployments: attempt #1/5 failed: HTTP 503 server error; "
        "will retry in 0.50s",
        "GET /prod/v2/deployments: attempt #2/5 failed: 500001 server error: internal; will retry in 1.00s",
    ]


def test_full_jitter_uses_the_injected_rng(router: respx.Router) -> None:
    sleeps: list[float] = []
    http = build_http_client(base_url=BASE, token="t", transport=httpx.MockTransport(router.handler))
    client = RunComfyClient(http, limiter=TokenBucket(100, 100), sleep=sleeps.append, rng=lambda: 0.25)
    router.get(LIST).mock(side_effect=[httpx.Response(502), httpx.Response(502), httpx.Response(200, json=[])])
    client.list_deployments()
    assert sleeps == [0.125, 0.25]


def test_max_attempts_then_escalates(router: respx.Router, h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    route = router.get(f"{LIST}/dep-1").respond(500, json={"error_code": 500001, "error_message": "down"})
    with pytest.raises(errors.ServerError) as caught:
        h.client.get_deployment("dep-1")
    assert route.call_count == 5
    assert h.backoff_sleeps == [0.5, 1.0, 2.0, 4.0]
    assert caught.value.summary == "GET /prod/v2/deployments/dep-1: 500001 server error: down"
    assert client_logs(caplog)[-1] == (
        "GET /prod/v2/deployments/dep-1: attempt #5/5 failed: 500001 server error: down; "
        "escalating (out of attempts)"
    )


def test_policy_sets_the_number_of_attempts(router: respx.Router, h: Harness) -> None:
    h.client.policy = RetryPolicy(max_attempts=2)
    route = router.get(LIST).respond(503)
    with pytest.raises(errors.ServerError):
        h.client.list_deployments()
    assert route.call_count == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_are_never_retried(router: respx.Router, h: Harness, status: int) -> None:
    route = router.patch(f"{LIST}/dep-1").respond(status, json={"error_message": "no"})
    with pytest.raises(errors.ApiError):
        h.client.update_deployment("dep-1", name="t2i", changes={"max_instances": 2})
    assert route.call_count == 1 and h.backoff_sleeps == []


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("t"), httpx.ConnectError("refused"),
                                 httpx.RemoteProtocolError("reset")])
def test_timeouts_and_resets_are_retried_for_get(router: respx.Router, h: Harness, exc: Exception) -> None:
    route = router.get(LIST).mock(side_effect=[exc, httpx.Response(200, json=[])])
    assert h.client.list_deployments() == []
    assert route.call_count == 2 and h.backoff_sleeps == [0.5]


def test_transport_error_chains_the_httpx_cause(router: respx.Router, h: Harness) -> None:
    router.get(LIST).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(errors.TransportError) as caught:
        h.client.list_deployments()
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.summary == (
        "GET /prod/v2/deployments: transport error: read timeout from api.example.test:443 (ReadTimeout)"
    )
    assert caught.value.may_have_landed


def test_429_retry_after_seconds_pauses_the_shared_bucket(router: respx.Router, h: Harness) -> None:
    router.get(LIST).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error_code": "rate_limited"}),
        httpx.Response(200, json=[]),
    ])
    h.client.list_deployments()
    assert h.limiter_sleeps == [7.0]  # the wait happens in the shared bucket...
    assert h.backoff_sleeps == []  # ...not as a private backoff
    assert h.now == 7.0


def test_429_pause_is_felt_by_every_caller_of_the_bucket(router: respx.Router, h: Harness) -> None:
    router.get(LIST).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "30"}),
                                       httpx.Response(200, json=[])])
    other = router.get(f"{LIST}/dep-1").respond(json=DEP)
    h.client.list_deployments()
    h.client.get_deployment("dep-1")  # same bucket: waits at the steady rate after the pause
    assert h.limiter_sleeps == [30.0, 1.0] and other.call_count == 1


def test_429_retry_after_http_date_is_read_against_the_servers_date(router: respx.Router, h: Harness) -> None:
    server_now = datetime(2025, 7, 22, 13, 0, 0, tzinfo=UTC)
    headers = {"Date": format_datetime(server_now, usegmt=True),
               "Retry-After": format_datetime(server_now + timedelta(seconds=12), usegmt=True)}
    router.get(LIST).mock(side_effect=[httpx.Response(429, headers=headers), httpx.Response(200, json=[])])
    h.client.list_deployments()
    assert h.limiter_sleeps == [12.0]


def test_429_without_retry_after_backs_off(router: respx.Router, h: Harness) -> None:
    router.get(LIST).mock(side_effect=[httpx.Response(429), httpx.Response(200, json=[])])
    h.client.list_deployments()
    assert h.limiter_sleeps == [0.5]


def test_503_retry_after_is_honoured_without_pausing_the_bucket(router: respx.Router, h: Harness) -> None:
    router.get(LIST).mock(side_effect=[httpx.Response(503, headers={"Retry-After": "3"}),
                                       httpx.Response(200, json=[])])
    h.client.list_deployments()
    assert h.backoff_sleeps == [3.0] and h.limiter_sleeps == []


# -- create: never twice ------------------------------------------------------------------------


def test_ambiguous_create_is_adopted_when_the_list_shows_it(router: respx.Router, h: Harness,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    post = router.post(LIST).mock(side_effect=httpx.ReadTimeout("slow"))
    listing = router.get(LIST).respond(json=[{**DEP, "id": "other", "name": "else"}, DEP])
    assert h.client.create_deployment(CREATE).id == "dep-1"
    assert post.call_count == 1 and listing.call_count == 1
    assert "re-listing deployments to see whether it landed" in client_logs(caplog)[0]


def test_create_5xx_is_ambiguous_too(router: respx.Router, h: Harness) -> None:
    post = router.post(LIST).respond(500, json={"error_code": 500001})
    router.get(LIST).respond(json={"deployments": [{**DEP, "hardware": "AMPERE_48"}]})
    assert h.client.create_deployment(CREATE).id == "dep-1"
    assert post.call_count == 1


def test_ambiguous_create_without_a_match_raises_once(router: respx.Router, h: Harness) -> None:
    post = router.post(LIST).mock(side_effect=httpx.RemoteProtocolError("reset"))
    router.get(LIST).respond(json=[{**DEP, "queue_size": 2}])  # same name, different settings: not ours
    with pytest.raises(errors.TransportError) as caught:
        h.client.create_deployment(CREATE)
    assert post.call_count == 1
    assert "the create may or may not have landed; run `comfyops plan` again" in caught.value.summary
    assert "No deployment matching it is listed" in caught.value.detail
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)


def test_a_create_the_relist_proves_did_not_land_is_sent_again(router: respx.Router, h: Harness) -> None:
    post = router.post(LIST).mock(side_effect=[httpx.Response(500, json={"error_code": 500001}),
                                                httpx.RemoteProtocolError("reset"), httpx.Response(200, json=DEP)])
    listing = router.get(LIST).respond(json=[{**DEP, "id": "other", "name": "else"}])
    assert h.client.create_deployment(CREATE).id == "dep-1"
    assert post.call_count == 3 and listing.call_count == 2, "a re-list before every resend"
    assert h.backoff_sleeps == [0.5, 1.0]


def test_a_create_that_never_lands_stops_at_the_retry_budget(router: respx.Router, h: Harness) -> None:
    post = router.post(LIST).respond(503)
    listing = router.get(LIST).respond(json=[])
    with pytest.raises(errors.ServerError, match="may or may not have landed") as caught:
        h.client.create_deployment(CREATE)
    assert post.call_count == 5 and listing.call_count == 5
    assert "No deployment matching it is listed after 5 sends" in caught.value.detail


def test_a_create_whose_name_is_taken_by_another_deployment_is_not_sent_again(router: respx.Router,
                                                                                  h: Harness) -> None:
    post = router.post(LIST).respond(503)
    router.get(LIST).respond(json=[{**DEP, "max_instances": 3}])
    with pytest.raises(errors.ServerError, match="may or may not have landed") as caught:
        h.client.create_deployment(CREATE)
    assert post.call_count == 1
    assert "1 with that name differs" in caught.value.detail


def test_ambiguous_create_with_two_matches_adopts_neither(router: respx.Router, h: Harness) -> None:
    router.post(LIST).mock(side_effect=httpx.ReadTimeout("slow"))
    router.get(LIST).respond(json=[DEP, {**DEP, "id": "dep-2"}])
    with pytest.raises(errors.TransportError, match="may or may not have landed") as caught:
        h.client.create_deployment(CREATE)
    assert "2 deployments match" in caught.value.detail


def test_ambiguous_create_when_relisting_fails(router: respx.Router, h: Harness) -> None:
    router.post(LIST).mock(side_effect=httpx.ReadTimeout("slow"))
    router.get(LIST).respond(401, json={"error_code": 401001})
    with pytest.raises(errors.TransportError, match="may or may not have landed") as caught:
        h.client.create_deployment(CREATE)
    assert "Re-listing failed: GET /prod/v2/deployments: 401001 unauthorized" in caught.value.detail


@pytest.mark.parametrize("first", [httpx.ConnectError("refused"), httpx.ConnectTimeout("t"),
                                   httpx.Response(429, headers={"Retry-After": "1"})])
def test_create_that_surely_did_not_land_is_sent_again(router: respx.Router, h: Harness, first: Any) -> None:
    post = router.post(LIST).mock(side_effect=[first, httpx.Response(200, json=DEP)])
    assert h.client.create_deployment(CREATE).id == "dep-1"
    assert post.call_count == 2
    assert json.loads(post.calls[0].request.content) == json.loads(post.calls[1].request.content)


def test_create_validation_error_is_not_retried_nor_reconciled(router: respx.Router, h: Harness) -> None:
    post = router.post(LIST).respond(422, json={"error_code": 422001, "error_message": "unknown version"})
    with pytest.raises(errors.ValidationError, match="unknown version"):
        h.client.create_deployment(CREATE)
    assert post.call_count == 1  # and no GET: the router has no list route, so a GET would fail


# -- inference: never twice ----------------------------------------------------------------------


SUBMIT = "/prod/v1/deployments/d/inference"


@pytest.mark.parametrize(("effect", "cls"), [(httpx.Response(500), errors.ServerError),
                                             (httpx.ReadTimeout("slow"), errors.TransportError),
                                             (httpx.RemoteProtocolError("eof"), errors.TransportError)])
def test_inference_is_not_resent_once_it_may_have_landed(router: respx.Router, h: Harness, effect: Any,
                                                         cls: type[errors.ApiError]) -> None:
    route = router.post(SUBMIT).mock(side_effect=[effect])
    with pytest.raises(cls):
        h.client.submit_inference("d", overrides={})
    assert route.call_count == 1 and h.backoff_sleeps == []


@pytest.mark.parametrize("first", [httpx.ConnectError("refused"), httpx.Response(429)])
def test_inference_is_resent_when_it_surely_did_not_land(router: respx.Router, h: Harness, first: Any) -> None:
    route = router.post(SUBMIT).mock(side_effect=[first, httpx.Response(200, json={"request_id": "r"})])
    assert h.client.submit_inference("d", overrides={}).request_id == "r"
    assert route.call_count == 2


def test_proxy_is_not_resent_after_a_timeout(router: respx.Router, h: Harness) -> None:
    route = router.post("/prod/v2/deployments/d/instances/i/proxy/api/free").mock(side_effect=httpx.ReadTimeout("t"))
    with pytest.raises(errors.TransportError):
        h.client.proxy("d", "i", "api/free")
    assert route.call_count == 1


# -- delete: a 404 after an ambiguous attempt is success -----------------------------------------


@pytest.mark.parametrize("first", [httpx.ReadTimeout("slow"), httpx.Response(502)])
def test_delete_404_after_an_ambiguous_attempt_is_success(router: respx.Router, h: Harness, first: Any) -> None:
    route = router.delete(f"{LIST}/dep-1").mock(side_effect=[first, httpx.Response(404, json={
        "error_code": 404001})])
    assert h.client.delete_deployment("dep-1") is None
    assert route.call_count == 2


def test_delete_404_after_a_connect_error_is_still_an_error(router: respx.Router, h: Harness) -> None:
    router.delete(f"{LIST}/dep-1").mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(404)])
    with pytest.raises(errors.NotFoundError):
        h.client.delete_deployment("dep-1")


def test_every_attempt_takes_a_token(router: respx.Router, h: Harness) -> None:
    router.get(LIST).respond(503)
    h.client.policy = RetryPolicy(max_attempts=5, base=0.0)
    for _ in range(2):
        with pytest.raises(errors.ServerError):
            h.client.list_deployments()
    # 10 attempts with zero backoff: 5 from the burst, then one per second
    assert h.limiter_sleeps == pytest.approx([1.0] * 5)


def test_client_logger_name(router: respx.Router, h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    router.get(LIST).mock(side_effect=[httpx.Response(503), httpx.Response(200, json=[])])
    h.client.list_deployments()
    assert any(r.name == "reconciler.client" and r.levelno == logging.WARNING for r in caplog.records)


CANCEL = "/prod/v1/deployments/d/requests/r/cancel"
RATE_LIMITED = httpx.Response(429, json={"error_code": "rate_limited"}, headers={"Retry-After": "2"})
CANCELLED = httpx.Response(202, json={"request_id": "r", "status": "completed", "outcome": "cancelled"})


def test_a_patient_cancel_keeps_pacing_on_retry_after_past_max_attempts(router: respx.Router, h: Harness) -> None:
    """After Ctrl-C a server with no burst answers 429 for a while: the cancel waits as told, and lands."""
    route = router.post(CANCEL).mock(side_effect=[RATE_LIMITED] * 9 + [CANCELLED])
    assert h.client.cancel_request("d", "r", patience=60).outcome == "cancelled"
    assert route.call_count == 10
    assert h.now == pytest.approx(18.0)  # nine Retry-After waits of 2 s, no more


def test_a_patient_cancel_gives_up_at_its_deadline(router: respx.Router, h: Harness) -> None:
    route = router.post(CANCEL).mock(return_value=RATE_LIMITED)
    with pytest.raises(errors.RateLimitedError):
        h.client.cancel_request("d", "r", patience=7)
    assert h.now <= 7.0 and route.call_count == 4  # 0, 2, 4, 6 s: the next wait would end past 7 s


def test_a_plain_cancel_still_stops_after_max_attempts(router: respx.Router, h: Harness) -> None:
    route = router.post(CANCEL).mock(return_value=RATE_LIMITED)
    with pytest.raises(errors.RateLimitedError):
        h.client.cancel_request("d", "r")
    assert route.call_count == RetryPolicy().max_attempts
