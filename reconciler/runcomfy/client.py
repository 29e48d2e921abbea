"""Typed calls to the RunComfy Serverless API, each through the shared rate limiter and a retry loop.

Effectful shell over one injected ``httpx.Client`` (built by ``runcomfy.http.build_http_client``).
Every call takes a token from the process's one :class:`~reconciler.runcomfy.ratelimit.TokenBucket`,
then runs the loop in :meth:`RunComfyClient._request`, whose decisions come from the pure
``runcomfy.retry``. httpx exceptions never escape: they become ``runcomfy.errors.TransportError`` with
the httpx exception chained. A create is never re-sent after it may have landed: the client re-lists
and adopts the one deployment that matches exactly, or says it cannot tell. The bearer token goes only
to the API's own origin; absolute URLs elsewhere (output files, object_info) are fetched without it.
Those are not API calls either: they never wait for or spend a token of the account's bucket, and are
bounded instead by their own concurrency limit (:data:`OTHER_HOST_CONCURRENCY`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx
import pydantic

from reconciler.retry import RetryPolicy, http_date, retry_after_seconds
from reconciler.runcomfy import bounds, errors, ratelimit, retry, wire
from reconciler.runcomfy import http as http_mod
from reconciler.runcomfy.ratelimit import TokenBucket
from reconciler.runcomfy.retry import Action, CallKind

logger = logging.getLogger("reconciler.client")

DEPLOYMENTS: Final[str] = "/prod/v2/deployments"
CREATE_MAY_HAVE_LANDED: Final[str] = (
    "the create may or may not have landed; run `comfyops plan` again before re-applying"
)

OTHER_HOST_CONCURRENCY: Final[int] = 8
"""Requests to hosts other than the API's (output files on RunComfy's storage) in flight at once. They
are not API calls, so the account's rate limit does not pace them; this bound keeps a run of many smoke
tests from opening a connection per output at the same moment."""

T = TypeVar("T")
_DECODED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
"""Headers of the wire body that no longer describe the decoded, capped body the client keeps."""
_UNBOUNDED = 1_000_000
"""Attempts when a deadline bounds the retries instead (the deadline always ends them first)."""
Params = list[tuple[str, str | int | float | bool | None]]


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class CallCount:
    """HTTP requests sent (retries included) by one thread inside :meth:`RunComfyClient.counting`."""

    calls: int = 0


class RunComfyClient:
    """The RunComfy API, one typed method per endpoint. Build one per process (``session.session.Session.client``)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        limiter: TokenBucket | None = None,
        retry: RetryPolicy | None = None,
        queue_api_version: str = "v1",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        wall_clock: Callable[[], datetime] = _utcnow,
        other_host_concurrency: int = OTHER_HOST_CONCURRENCY,
    ) -> None:
        self.http = http
        self._other_hosts = threading.BoundedSemaphore(max(1, other_host_concurrency))
        self.limiter = limiter or ratelimit.account_bucket(clock=clock, sleep=sleep)
        self.clock = clock
        """The monotonic clock deadlines (``cancel_request(patience=...)``) are measured on."""
        self.policy = retry or RetryPolicy()
        self.queue_api_version = queue_api_version
        self._sleep = sleep
        self._rng = rng
        self._wall_clock = wall_clock
        self._counters = threading.local()
        token = http.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        self._secrets: tuple[str, ...] = (token,) if len(token) >= 6 else ()

    def mask(self, secrets: Iterable[str]) -> None:
        """Also scrub these values (the manifests' secrets) from every error this client raises."""
        extra = {s for s in secrets if s and s not in self._secrets}
        self._secrets = tuple(sorted({*self._secrets, *extra}, key=len, reverse=True))

    # -- deployments (v2) ----------------------------------------------------------------------

    def list_deployments(
        self, *, include_payload: bool = False, include_readme: bool = False, ids: Iterable[str] = ()
    ) -> list[wire.Deployment]:
        """Every deployment of the account (``ids`` narrows it); ``includes=`` adds payload/readme."""
        params = _includes(include_payload, include_readme) + [("ids", i) for i in ids]
        response = self._ok("GET", DEPLOYMENTS, kind=CallKind.IDEMPOTENT, params=params)
        return self._parse("GET", DEPLOYMENTS, response, wire.parse_deployment_list)

    def get_deployment(
        self, deployment_id: str, *, include_payload: bool = False, include_readme: bool = False
    ) -> wire.Deployment:
        """One deployment by id."""
        path = f"{DEPLOYMENTS}/{_seg(deployment_id)}"
        params = _includes(include_payload, include_readme)
        response = self._ok("GET", path, kind=CallKind.IDEMPOTENT, params=params)
        return self._parse("GET", path, response, wire.Deployment.model_validate)

    def create_deployment(self, body: wire.DeploymentCreate) -> wire.Deployment:
        """Create a deployment, never twice: after an ambiguous failure (5xx, a reset after sending) the
        client re-lists first. One exact match is adopted. No deployment of that name at all proves the
        create did not land, so it is sent again (within the retry budget, ``RetryPolicy.max_attempts``
        sends, with backoff); anything else (several matches, a same-named deployment that differs, a
        re-list that fails, the budget spent) is an error saying the create may have landed."""
        sends = self.policy.max_attempts
        for send in range(1, sends + 1):
            try:
                response = self._ok("POST", DEPLOYMENTS, kind=CallKind.CREATE, json=body.model_dump(mode="json"))
            except errors.ApiError as error:
                if not retry.may_have_landed(error):
                    raise
                adopted = self._adopt(body, error, last=send == sends)
                if adopted is not None:
                    return adopted
                delay = self.policy.backoff(send, self._rng)
                logger.warning("POST %s: the re-list shows %r did not land; sending it again (%d/%d) in %.2fs",
                               DEPLOYMENTS, body.name, send + 1, sends, delay)
                self._sleep(delay)
                continue
            return self._parse("POST", DEPLOYMENTS, response, wire.Deployment.model_validate)
        raise AssertionError("unreachable: the last send always adopts or raises")  # pragma: no cover

    def update_deployment(
        self, deployment_id: str, *, name: str, changes: Mapping[str, Any]
    ) -> wire.Deployment:
        """PATCH only ``changes`` plus ``name`` (the API rejects a PATCH without it); hardware as a list."""
        body = wire.patch_body(deployment_id, name=name, changes=changes)
        path = f"{DEPLOYMENTS}/{_seg(deployment_id)}"
        response = self._ok("PATCH", path, kind=CallKind.IDEMPOTENT, json=body)
        return self._parse("PATCH", path, response, wire.Deployment.model_validate)

    def delete_deployment(self, deployment_id: str) -> None:
        """Delete permanently. A 404 on a retry after an ambiguous attempt means the first one landed."""
        path = f"{DEPLOYMENTS}/{_seg(deployment_id)}"
        self._request("DELETE", path, kind=CallKind.IDEMPOTENT, gone_ok=True)

    # -- inference queue (v1 by default) ----------------------------------------------------------

    def submit_inference(
        self,
        deployment_id: str,
        *,
        overrides: Mapping[str, Any] | None = None,
        workflow_api_json: Mapping[str, Any] | None = None,
        extra_data: Mapping[str, Any] | None = None,
        webhook: str | None = None,
        webhook_intermediate_status: bool | None = None,
        abort: threading.Event | None = None,
    ) -> wire.SubmitResponse:
        """Queue a run. Never re-sent once it may have landed (only connect errors and 429 retry).

        With the saved workflow (no ``workflow_api_json``) the body always carries ``overrides``, ``{}``
        when there are none: RunComfy refuses a body without it.

        ``abort`` set while the call waits for the rate limiter: it is not sent
        (:class:`~reconciler.runcomfy.ratelimit.Aborted`).
        """
        if workflow_api_json is None and overrides is None:
            overrides = {}  # RunComfy refuses a body without it (422001); {} runs the saved workflow unchanged
        fields = {
            "overrides": overrides, "workflow_api_json": workflow_api_json, "extra_data": extra_data,
            "webhook": webhook, "webhook_intermediate_status": webhook_intermediate_status,
        }
        body = {key: value for key, value in fields.items() if value is not None}
        secrets = (*_strings(extra_data), *((webhook,) if webhook else ()))
        path = f"{self._queue(deployment_id)}/inference"
        response = self._ok("POST", path, kind=CallKind.UNSAFE, json=body, secrets=secrets, abort=abort)
        return self._parse("POST", path, response, wire.SubmitResponse.model_validate)

    def request_status(
        self, deployment_id: str, request_id: str, *, abort: threading.Event | None = None
    ) -> wire.RequestStatus:
        """A queued request's status (``in_queue`` -> ``in_progress`` -> ``completed``/``cancelled``)."""
        path = f"{self._queue(deployment_id)}/requests/{_seg(request_id)}/status"
        response = self._ok("GET", path, kind=CallKind.IDEMPOTENT, abort=abort)
        return self._parse("GET", path, response, wire.RequestStatus.model_validate)

    def request_result(
        self, deployment_id: str, request_id: str, *, abort: threading.Event | None = None
    ) -> wire.RequestResult:
        """A request's outcome and outputs (``RequestResult.is_final`` says whether it has finished)."""
        path = f"{self._queue(deployment_id)}/requests/{_seg(request_id)}/result"
        response = self._ok("GET", path, kind=CallKind.IDEMPOTENT, abort=abort)
        return self._parse("GET", path, response, wire.RequestResult.model_validate)

    def cancel_request(
        self, deployment_id: str, request_id: str, *, patience: float | None = None
    ) -> wire.CancelResponse:
        """Cancel a queued or running request. Retried like a GET: cancelling twice is harmless.

        Cancels go ahead of other calls at the rate limiter (they stop billing; see ``TokenBucket.acquire``).
        With ``patience`` (seconds), transient failures (429 with its ``Retry-After``, 5xx, resets) are
        retried for that long instead of ``RetryPolicy.max_attempts`` times: after Ctrl-C a cancel that gives
        up leaves a paid job running that nobody watches.
        """
        path = f"{self._queue(deployment_id)}/requests/{_seg(request_id)}/cancel"
        deadline = None if patience is None else self.clock() + patience
        response = self._ok("POST", path, kind=CallKind.IDEMPOTENT, priority=True, deadline=deadline)
        return self._parse("POST", path, response, wire.CancelResponse.model_validate)

    def delete_request(
        self, deployment_id: str, request_id: str, *, abort: threading.Event | None = None
    ) -> wire.DeleteRequestResponse:
        """Purge a terminal request's inputs and outputs (409 while it runs; a repeat deletes 0)."""
        path = f"{self._queue(deployment_id)}/requests/{_seg(request_id)}"
        response = self._ok("DELETE", path, kind=CallKind.IDEMPOTENT, abort=abort)
        return self._parse("DELETE", path, response, wire.DeleteRequestResponse.model_validate)

    # -- instance proxy and absolute URLs ---------------------------------------------------------

    def proxy(
        self,
        deployment_id: str,
        instance_id: str,
        comfy_backend_path: str,
        *,
        json: Any = None,
        method: str = "POST",
        idempotent: bool = False,
    ) -> wire.ProxyAnswer:
        """Call a ComfyUI backend route on a live instance (e.g. ``api/free``, ``object_info``).

        POST is the documented proxy method; a ``?query`` on the path is passed on. Not re-sent once
        it may have landed, unless the caller says the route is ``idempotent`` (reads, ``api/free``).
        A non-2xx answer raises ``ApiError``; an error without a RunComfy ``error_code`` is ComfyUI's
        own answer (``runcomfy.proxy``).
        """
        route, _, query = comfy_backend_path.lstrip("/").partition("?")
        path = (
            f"{DEPLOYMENTS}/{_seg(deployment_id)}/instances/{_seg(instance_id)}/proxy/"
            f"{quote(route, safe='/')}" + (f"?{query}" if query else "")
        )
        kind = CallKind.IDEMPOTENT if idempotent else CallKind.UNSAFE
        response = self._ok(method, path, kind=kind, json=json)
        return wire.ProxyAnswer(response.status_code, response.content, response.headers.get("content-type", ""))

    def free_instance(
        self, deployment_id: str, instance_id: str, *, unload_models: bool = True, free_memory: bool = True
    ) -> wire.ProxyAnswer:
        """POST ``api/free`` on a live instance (unload models, free GPU memory); freeing twice is harmless."""
        body = wire.free_body(unload_models=unload_models, free_memory=free_memory)
        return self.proxy(deployment_id, instance_id, "api/free", json=body, idempotent=True)

    def fetch_object_info(self, url: str) -> dict[str, Any]:
        """A deployment's ``object_info`` JSON from its absolute ``object_info_url`` (at most 64 MiB)."""
        response = self._ok("GET", url, kind=CallKind.IDEMPOTENT, redirects=True, limit=bounds.OBJECT_INFO_LIMIT)

        def as_dict(data: Any) -> dict[str, Any]:
            if not isinstance(data, dict):
                raise ValueError(f"expected a JSON object, got {type(data).__name__}")
            return data

        return self._parse("GET", http_mod.display_target(url), response, as_dict)

    def download(self, url: str, *, limit: int = bounds.DOWNLOAD_LIMIT) -> bytes:
        """The bytes at an absolute URL (an output file), at most ``limit`` of them (else an error, having
        read no further); the token is sent only to the API's origin, and only a download from that origin
        is paced by the account's rate limit."""
        return self._ok("GET", url, kind=CallKind.IDEMPOTENT, redirects=True, check_body=False, limit=limit).content

    @contextlib.contextmanager
    def counting(self) -> Iterator[CallCount]:
        """Count the HTTP requests this thread sends until the block ends (e.g. one smoke test's)."""
        outer = getattr(self._counters, "current", None)
        count = CallCount()
        self._counters.current = count
        try:
            yield count
        finally:
            self._counters.current = outer
            if outer is not None:
                outer.calls += count.calls

    # -- the loop ---------------------------------------------------------------------------------

    def _ok(self, method: str, target: str, **kwargs: Any) -> httpx.Response:
        response = self._request(method, target, **kwargs)
        assert response is not None  # only gone_ok=True returns None
        return response

    def _request(
        self,
        method: str,
        target: str,
        *,
        kind: CallKind,
        params: Params | None = None,
        json: Any = None,
        secrets: Iterable[str] = (),
        gone_ok: bool = False,
        redirects: bool = False,
        check_body: bool = True,
        priority: bool = False,
        abort: threading.Event | None = None,
        deadline: float | None = None,
        limit: int = bounds.API_RESPONSE_LIMIT,
    ) -> httpx.Response | None:
        """Send through the limiter and retry loop; the response on success, else raise ``ApiError``.

        With a ``deadline`` (on :attr:`clock`), retries go on until it instead of ``max_attempts`` times; a
        wait that would end past it escalates.
        """
        display, secrets = http_mod.display_target(target), (*self._secrets, *secrets)
        policy = self.policy if deadline is None else dataclasses.replace(self.policy, max_attempts=_UNBOUNDED)
        attempts, landed_before = policy.max_attempts, False
        on_api = self._on_api(target)
        for attempt in range(1, attempts + 1):
            if on_api:
                self.limiter.acquire(priority=priority, abort=abort)
                count = getattr(self._counters, "current", None)
                if count is not None:
                    count.calls += 1
                error = self._attempt(method, target, display, params, json, secrets, redirects, check_body, limit)
            else:  # another host (output storage): not an API call, bounded by its own concurrency limit
                if abort is not None and abort.is_set():
                    raise ratelimit.Aborted()
                with self._other_hosts:
                    error = self._attempt(method, target, display, params, json, secrets, redirects, check_body, limit)
            if isinstance(error, httpx.Response):  # not an error after all: success
                return error
            gone = isinstance(error, errors.NotFoundError | errors.DeploymentDeletedError)
            if gone_ok and gone and landed_before:
                logger.warning("%s %s: gone after an ambiguous attempt, so that one landed", method, display)
                return None
            decision = retry.decide(error, kind=kind, attempt=attempt, policy=policy, rng=self._rng)
            if deadline is not None and decision.action is Action.RETRY and self.clock() + decision.delay > deadline:
                decision = retry.Decision(Action.ESCALATE, 0.0, "out of time")
            shown = attempts if deadline is None else "until the deadline"
            failed = f"{method} {display}: attempt #{attempt}/{shown} failed: {error.reason}"
            summary = f"{method} {display}: {error.reason}"
            if decision.action is Action.RETRY:
                logger.warning("%s; will retry in %.2fs", failed, decision.delay, extra={retry.RETRY_TAG: summary})
                if isinstance(error, errors.RateLimitedError) and on_api:
                    self.limiter.penalize(decision.delay)  # every caller waits; acquire() does the sleeping
                else:
                    self._sleep(decision.delay)
                landed_before = landed_before or retry.may_have_landed(error)
                continue
            if decision.action is Action.RECONCILE:
                logger.warning("%s; re-listing deployments to see whether it landed", failed,
                               extra={retry.RETRY_TAG: summary})
            else:  # a plain 4xx is routine (e.g. probing for a 404); a transient failure that won't clear is not
                level = logging.ERROR if retry.is_transient(error) else logging.INFO
                logger.log(level, "%s; escalating (%s)", failed, decision.note, extra={retry.FINAL_TAG: True})
            raise error
        raise AssertionError("unreachable: the last attempt always escalates")  # pragma: no cover

    def _on_api(self, target: str) -> bool:
        """Whether ``target`` (an API path, or an absolute URL) is on the API's own origin."""
        url = httpx.URL(target)
        return not url.is_absolute_url or http_mod.same_origin(url, self.http.base_url)

    def _attempt(
        self, method: str, target: str, display: str, params: Params | None, json: Any,
        secrets: tuple[str, ...], redirects: bool, check_body: bool, limit: int = bounds.API_RESPONSE_LIMIT,
    ) -> httpx.Response | errors.ApiError:
        request = self.http.build_request(method, target, params=params, json=json)
        if not http_mod.same_origin(request.url, self.http.base_url):
            request.headers.pop("Authorization", None)  # the bearer token is for the API's origin only
        try:
            response = self._send_capped(request, redirects, limit)
        except bounds.TooLarge as exc:
            return errors.UnexpectedResponseError(method=method, path=display, status=200, message=str(exc))
        except httpx.RequestError as exc:
            error = errors.TransportError(
                method=method, path=display, message=errors.scrub(http_mod.describe(exc, request.url), secrets),
                may_have_landed=not http_mod.never_sent(exc),
            )
            error.__cause__ = exc
            return error
        if http_mod.same_origin(request.url, self.http.base_url):  # another host's limits are not ours
            self._pace(response)
        if not check_body and response.is_success:
            return response
        # An HTTP-date Retry-After is read against the server's own Date, immune to local clock skew.
        now = http_date(response.headers.get("Date")) or self._wall_clock()
        retry_after = retry_after_seconds(response.headers.get("Retry-After"), now)
        found = errors.error_from_response(
            method=method, path=display, status=response.status_code, content=response.content,
            retry_after=retry_after, secrets=secrets,
        )
        return response if found is None else found

    def _send_capped(self, request: httpx.Request, redirects: bool, limit: int) -> httpx.Response:
        """Send ``request`` and read its body, at most ``limit`` bytes (:class:`bounds.TooLarge` past it)."""
        response = self.http.send(request, follow_redirects=redirects, stream=True)
        try:
            body = bounds.read_capped(response.iter_bytes(), limit)
        finally:
            response.close()
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DECODED_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request,
                              extensions=response.extensions)

    def _pace(self, response: httpx.Response) -> None:
        """Feed an answer to the adaptive bucket: speed back up unless it was a 429; obey budget headers."""
        if response.status_code != 429:
            self.limiter.succeeded()
        budget = ratelimit.server_budget(response.headers, self._wall_clock().timestamp())
        if budget is not None:
            self.limiter.observe(*budget)

    def _adopt(self, body: wire.DeploymentCreate, error: errors.ApiError, *, last: bool) -> wire.Deployment | None:
        """After an ambiguous create: the one deployment it made, or None when the re-list proves it made
        none (no deployment has that name) and another send is allowed; otherwise raise ``error``."""
        try:
            listed = self.list_deployments()
        except errors.ApiError as list_error:
            error.amend(note=CREATE_MAY_HAVE_LANDED, detail=f"Re-listing failed: {list_error.summary}")
            raise error from error.__cause__
        matches = [d for d in listed if body.matches(d)]
        if len(matches) == 1:
            logger.warning("POST %s: adopted deployment %s (%r), created by the ambiguous attempt",
                           DEPLOYMENTS, matches[0].id, body.name)
            return matches[0]
        named = sum(1 for d in listed if d.name == body.name)
        if not matches and not named and not last:
            return None
        if matches:
            found = f"{len(matches)} deployments match"
        elif named:
            found = f"No deployment matching it is listed; {named} with that name differ{'s' if named == 1 else ''}"
        else:
            found = f"No deployment matching it is listed after {self.policy.max_attempts} sends"
        error.amend(note=CREATE_MAY_HAVE_LANDED, detail=f"{found} (name {body.name!r}); nothing was adopted.")
        raise error from error.__cause__

    def _parse(self, method: str, path: str, response: httpx.Response, parse: Callable[[Any], T]) -> T:
        try:
            return parse(bounds.loads(response.content))
        except pydantic.ValidationError as exc:
            found = exc.errors(include_input=False)[:5]
            message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in found)
        except ValueError as exc:  # JSON decoding errors are ValueErrors too
            message = str(exc)
        raise errors.UnexpectedResponseError(
            method=method, path=path, status=response.status_code, message=errors.truncate(message)
        )

    def _queue(self, deployment_id: str) -> str:
        return f"/prod/{self.queue_api_version}/deployments/{_seg(deployment_id)}"


def _includes(payload: bool, readme: bool) -> Params:
    params: Params = []
    if payload:
        params.append(("includes", "payload"))
    if readme:
        params.append(("includes", "readme"))
    return params


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
