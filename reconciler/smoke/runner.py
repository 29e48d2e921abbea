"""Smoke-testing deployments: submit one sample request each, wait, check, clean up; many at once.

Effectful: API calls through the one :class:`~reconciler.runcomfy.client.RunComfyClient` (thread-safe,
one shared token bucket), worker threads, the clock. :func:`run_smoke` reads live deployments with one
list call, runs each deployment's test in a thread pool and returns a :class:`SmokeReport`; it never
raises for a test's problems (those are results) and never prints (progress goes through a
:class:`~reconciler.smoke.progress.Progress`). A submit is sent once: after an ambiguous failure the
test is an error, never a resubmit. A timeout cancels the request (fail); Ctrl-C (or a
``KeyboardInterrupt`` from an injected sleep) throws the stop switch, and every worker cancels its
request before the report comes back with ``interrupted=True``. Secrets never reach the report.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler import interrupts
from reconciler.manifest.desired import DesiredDeployment, DesiredState
from reconciler.render import safe
from reconciler.runcomfy import errors, ratelimit, retry, wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.secrets import mask
from reconciler.smoke import checks, goldens, keeping, polling
from reconciler.smoke.freeing import free_after
from reconciler.smoke.journal import Journal, NullJournal
from reconciler.smoke.progress import NullProgress, Progress
from reconciler.smoke.report import DeploymentResult, SmokeReport, SmokeStatus

SKIPPED, ERROR, FAIL = SmokeStatus.SKIPPED, SmokeStatus.ERROR, SmokeStatus.FAIL
MAX_CONCURRENCY = 64


def auto_concurrency(tests: int) -> int:
    """How many tests to run at once by default: all of them, up to :data:`MAX_CONCURRENCY`.

    Each test is a different deployment, so they never queue behind each other; the one thing they
    share is the rate limit, and the token bucket and the fair-share poll floor already divide it.
    Running fewer at once only leaves the bucket idle while jobs run (measured: 20 tests of 5 s at
    5 requests/s took 36.9 s four at a time, 22.0 s all at once).
    """
    return max(1, min(tests, MAX_CONCURRENCY))


CANCEL_PATIENCE = 60.0
"""Seconds after Ctrl-C that cancels keep retrying (at the server's pace, ``Retry-After`` honoured): at the
documented 1 request/s, 60 cancels fit even with no burst at all."""


@dataclass
class _Shared:
    client: RunComfyClient
    pacer: polling.Pacer
    poll: polling.PollPolicy
    progress: Progress
    secrets: tuple[str, ...]
    estimate: polling.DurationEstimate = field(default_factory=polling.DurationEstimate)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: dict[str, tuple[str, str]] = field(default_factory=dict)
    interrupted: bool = False
    journal: Journal = field(default_factory=NullJournal)
    artifacts: Path = goldens.ARTIFACTS_DIR
    update_goldens: bool = False
    keep_outputs: bool = False
    cancel_command: Callable[[str, str], str] = field(default=lambda dep, rid: f"comfyops request cancel {dep} {rid}")
    """The command that cancels request ``rid`` of deployment ``dep`` by hand (with the user's global options)."""
    cancel_by: float | None = None
    """After Ctrl-C: until when (on the client's clock) cancels keep trying at the server's pace."""
    result_first: bool = True
    """Whether a request due to have finished asks the result endpoint directly (no status poll)."""

    def floor(self) -> float:
        """This waiter's fair share of the rate limit: in-flight requests / requests per second."""
        with self.lock:
            waiting = max(1, len(self.in_flight))
        return waiting / self.client.limiter.rate

    def stop(self) -> None:
        with self.lock:
            self.interrupted = True
            if self.cancel_by is None:
                self.cancel_by = self.client.clock() + CANCEL_PATIENCE
        self.pacer.stop.set()

    def cancel_after_interrupt(self, live_id: str, rid: str) -> tuple[str, bool]:
        """Cancel after Ctrl-C, retried at the rate the server allows (its ``Retry-After``) until
        :attr:`cancel_by`; returns the outcome and whether the server answered."""
        deadline = self.cancel_by if self.cancel_by is not None else self.client.clock() + CANCEL_PATIENCE
        try:
            answer = self.client.cancel_request(live_id, rid, patience=max(0.0, deadline - self.client.clock()))
        except errors.ApiError as error:
            return f"cancel failed: {error.summary}", False
        return answer.outcome, True


def run_smoke(
    desired: DesiredState,
    deployments: Sequence[DesiredDeployment],
    *,
    client: RunComfyClient,
    concurrency: int | None = None,
    progress: Progress | None = None,
    poll: polling.PollPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
    live: Sequence[wire.Deployment] | None = None,
    journal: Journal | None = None,
    artifacts: Path = goldens.ARTIFACTS_DIR,
    update_goldens: bool = False,
    keep_outputs: bool = False,
    cancel_command: Callable[[str, str], str] | None = None,
) -> SmokeReport:
    """Smoke-test ``deployments`` (of ``desired``) and report each by name, in the order given.

    ``live`` skips the list call when the caller already has the deployments (e.g. right after
    apply). ``concurrency`` defaults to :func:`auto_concurrency`. ``clock``/``sleep`` are injectable
    for tests; without ``sleep`` pauses are interruptible waits. Deployments without ``spec.smoke``,
    with ``state: absent``, paused in the manifest, or not live are ``skipped`` with the reason.
    ``journal`` hears of every request submitted and finished. Golden comparisons keep received files
    (and difference sheets) under ``artifacts/<request id>/``; ``update_goldens`` records goldens from
    runs whose other checks passed instead of comparing. ``keep_outputs`` also downloads and keeps each
    run's pictures (:mod:`reconciler.smoke.keeping`), for the HTML gallery. ``cancel_command(deployment_id,
    request_id)`` is the command printed for a request whose cancel after Ctrl-C was not confirmed.
    """
    sink = progress or NullProgress()
    shared = _Shared(client, polling.Pacer(clock=clock, sleep=sleep), poll or polling.SMOKE_POLICY, sink,
                     _secrets(desired, deployments), journal=journal or NullJournal(), artifacts=artifacts,
                     update_goldens=update_goldens, keep_outputs=keep_outputs)
    if cancel_command is not None:
        shared.cancel_command = cancel_command
    start = clock()
    results: dict[str, DeploymentResult] = {}
    todo: list[tuple[DesiredDeployment, str]] = []
    for d, found in zip(deployments, _match(shared.client, deployments, live), strict=True):
        if isinstance(found, DeploymentResult):
            results[d.name] = found
            sink.update(d.name, "done", f"{found.status.value}: {found.reason}")
        else:
            todo.append((d, found))
    _run_pool(shared, todo, results, max(1, concurrency or auto_concurrency(len(todo))))
    sink.close()
    ordered = tuple(_scrub(results[d.name], shared.secrets) for d in deployments)
    return SmokeReport(ordered, interrupted=shared.interrupted, duration_seconds=clock() - start)


def _run_pool(
    shared: _Shared, todo: list[tuple[DesiredDeployment, str]], results: dict[str, DeploymentResult], workers: int
) -> None:
    if not todo:
        return
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(workers, len(todo)), thread_name_prefix="smoke")
    futures = {pool.submit(_counted, shared, d, live_id): d.name for d, live_id in todo}
    try:
        while True:
            try:
                concurrent.futures.wait(futures)
                break
            except KeyboardInterrupt:  # Ctrl-C in the main thread: stop everyone, wait for their cancels
                first = not shared.interrupted
                shared.stop()
                if first:
                    _announce(shared)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for future, name in futures.items():
        if future.cancelled():
            results[name] = DeploymentResult(name, SKIPPED, "interrupted before it started")
        else:
            results[name] = future.result()


def _announce(shared: _Shared) -> None:
    """Say at once that Ctrl-C was heard, and freeze the live view (the report follows)."""
    with shared.lock:
        count = len(shared.in_flight)
    text = f"Interrupt received: cancelling {count} request{'s' if count != 1 else ''}... (Ctrl-C again to exit now)"
    notice = getattr(shared.progress, "interrupt", None)
    if callable(notice):
        notice(text)


def _match(
    client: RunComfyClient, deployments: Sequence[DesiredDeployment], live: Sequence[wire.Deployment] | None
) -> list[DeploymentResult | str]:
    """Per deployment: its live id, or the result it ends with before anything is submitted."""
    pre: list[DeploymentResult | None] = [_precheck(d) for d in deployments]
    if live is None and any(p is None for p in pre):
        try:
            live = client.list_deployments()
        except errors.ApiError as error:
            failed = DeploymentResult("", ERROR, f"could not list deployments: {error.summary}")
            return [p or replace(failed, name=d.name) for p, d in zip(pre, deployments, strict=True)]
    out: list[DeploymentResult | str] = []
    for p, d in zip(pre, deployments, strict=True):
        out.append(p if p is not None else _live_id(d, live or ()))
    return out


def _precheck(d: DesiredDeployment) -> DeploymentResult | None:
    if d.smoke is None:
        return DeploymentResult(d.name, SKIPPED, "no spec.smoke declared")
    if d.is_absent:
        return DeploymentResult(d.name, SKIPPED, "state: absent")
    if d.fields.get("is_enabled") is False:
        return DeploymentResult(d.name, SKIPPED, "paused in the manifest (is_enabled: false)")
    if d.smoke_overrides is None:
        return DeploymentResult(d.name, ERROR, "the smoke overrides could not be resolved")
    return None


def _live_id(d: DesiredDeployment, live: Iterable[wire.Deployment]) -> DeploymentResult | str:
    if d.pinned_id is not None:
        pinned = [x for x in live if x.id == d.pinned_id]
        if pinned:
            return pinned[0].id
        return DeploymentResult(d.name, SKIPPED, f"not deployed: no live deployment has the pinned id {d.pinned_id}")
    named = [x for x in live if x.name == d.name]
    if len(named) > 1:
        return DeploymentResult(
            d.name, ERROR, f"{len(named)} live deployments are named {d.name!r}; pin one with metadata.id"
        )
    if not named:
        return DeploymentResult(d.name, SKIPPED, f"not deployed: no live deployment named {d.name!r}")
    return named[0].id


def _counted(shared: _Shared, d: DesiredDeployment, live_id: str) -> DeploymentResult:
    """One deployment's test, with the API calls it made (retries included)."""
    with shared.client.counting() as count:
        result = _smoke_one(shared, d, live_id)
    return replace(result, api_calls=count.calls)


def _smoke_one(shared: _Shared, d: DesiredDeployment, live_id: str) -> DeploymentResult:
    """One deployment's test, start to finish; every outcome is a result, including Ctrl-C."""
    assert d.smoke is not None and d.smoke_overrides is not None
    client, pacer, name = shared.client, shared.pacer, d.name
    base = DeploymentResult(name, ERROR, deployment_id=live_id)
    if pacer.stop.is_set():
        return replace(base, status=SKIPPED, reason="interrupted before it started")
    shared.progress.update(name, "submitting")
    started = pacer.now()
    overrides = {node: {"inputs": dict(inputs)} for node, inputs in d.smoke_overrides.values.items()}
    try:
        submitted = client.submit_inference(
            live_id, overrides=overrides, extra_data=d.smoke.extra_data, abort=pacer.stop
        )
    except ratelimit.Aborted:  # Ctrl-C while it waited for the rate limiter: never sent
        return _done(shared, replace(base, status=SKIPPED, reason="interrupted before it was submitted"))
    except errors.ApiError as error:
        note = "; it may have been queued, and was not resubmitted" if retry.may_have_landed(error) else ""
        return _done(shared, replace(base, reason=f"submit failed: {error.summary}{note}"))
    rid = submitted.request_id
    base = replace(base, request_id=rid)
    shared.journal.submitted(deployment=name, deployment_id=live_id, request_id=rid)
    with shared.lock:
        shared.in_flight[name] = (live_id, rid)
    pending = safe.terminal(f"{name} request {rid}: cancel it with `{shared.cancel_command(live_id, rid)}`")
    with interrupts.running(pending):
        return _follow(shared, d, base, live_id, rid, started)


def _follow(
    shared: _Shared, d: DesiredDeployment, base: DeploymentResult, live_id: str, rid: str, started: float
) -> DeploymentResult:
    """Wait for a submitted request, check its result, clean up; cancel it on timeout or Ctrl-C."""
    assert d.smoke is not None
    client, pacer, name = shared.client, shared.pacer, d.name
    accepted = pacer.now()  # the submit may have waited its turn at the rate limit: the job starts now
    try:
        waited = polling.wait_for(
            _Abortable(client, pacer.stop), live_id, rid, deadline=started + d.smoke.timeout_seconds,
            policy=shared.poll, pacer=pacer,
            on_status=lambda s: shared.progress.update(name, _phase(s), rid), floor=shared.floor,
            submitted_at=accepted, estimate=shared.estimate,
            early=(lambda: _early_result(shared, live_id, rid)) if shared.result_first else None,
        )
    except polling.TimedOut as timeout:
        outcome = polling.cancel_quietly(client, live_id, rid)
        reason = (f"timed out after {d.smoke.timeout_seconds}s (still {timeout.last.status}); "
                  f"request cancel: {outcome}")
        return _finish(shared, d, replace(base, status=FAIL, reason=reason, duration_seconds=pacer.now() - started,
                                          instance_id=timeout.last.instance_id))
    except (polling.Interrupted, KeyboardInterrupt, ratelimit.Aborted):
        shared.stop()
        outcome, answered = shared.cancel_after_interrupt(live_id, rid)
        reason = f"interrupted; request cancel: {outcome}"
        if not answered:
            reason += f"; it may still be running: cancel it with `{shared.cancel_command(live_id, rid)}`"
        return _finish(shared, d, replace(base, reason=reason, may_still_run=not answered))
    except errors.ApiError as error:
        outcome = polling.cancel_quietly(client, live_id, rid)
        return _finish(shared, d, replace(base, reason=f"polling failed: {error.summary}; request cancel: {outcome}"))
    finally:
        with shared.lock:
            shared.in_flight.pop(name, None)
    took = pacer.now() - started
    shared.progress.update(name, "checking", rid)
    if isinstance(waited, wire.RequestResult):  # the result endpoint answered first: no status poll needed
        result = waited
    else:
        try:
            result = client.request_result(live_id, rid)
        except errors.ApiError as error:
            return _finish(shared, d, replace(base, reason=f"could not fetch the result: {error.summary}",
                                              duration_seconds=took))
    outcome_ = _outcome(client, d, result, took, keep=shared.keep_outputs)
    shared.estimate.record(outcome_.duration_seconds if outcome_.duration_seconds is not None else took)
    found = checks.check_all(d.smoke.expect, outcome_)
    golden_checks, compared = goldens.check(d, outcome_, rid, found, artifacts=shared.artifacts,
                                            update=shared.update_goldens)
    found += golden_checks
    verdict, reason = checks.verdict(found)
    received = keeping.keep(outcome_, rid, tuple(compared), artifacts=shared.artifacts) if shared.keep_outputs else ()
    checked = replace(base, status=verdict, reason=reason, checks=tuple(found), duration_seconds=took,
                      instance_id=result.instance_id, run_status=result.status, goldens=tuple(compared),
                      received=received)
    if d.smoke.free_memory_after:  # after the outputs are checked, before the assets are deleted
        checked = free_after(client, checked)
    return _finish(shared, d, checked)


def _early_result(shared: _Shared, live_id: str, rid: str) -> wire.RequestResult | None:
    """The request's result when it is final; None when the endpoint says or shows it is not yet.

    An answer without a documented final status is "not finished". A refusal (4xx) means this API does
    not answer early for unfinished requests: the rest of the run waits on status polls alone. A
    transient failure the client's retries did not cure is a polling failure like any other.
    """
    try:
        result = shared.client.request_result(live_id, rid, abort=shared.pacer.stop)
    except errors.ApiError as error:
        if retry.is_transient(error):
            raise
        shared.result_first = False
        return None
    return result if result.is_final else None


class _Abortable:
    """The client for status polls that give up waiting for the rate limiter once Ctrl-C was pressed."""

    def __init__(self, client: RunComfyClient, abort: threading.Event) -> None:
        self._client, self._abort = client, abort

    def request_status(self, deployment_id: str, request_id: str) -> wire.RequestStatus:
        """A request's status, unless stopped while waiting for a token."""
        return self._client.request_status(deployment_id, request_id, abort=self._abort)

    def cancel_request(self, deployment_id: str, request_id: str) -> wire.CancelResponse:
        """Cancel a request (never aborted: cancels go first)."""
        return self._client.cancel_request(deployment_id, request_id)


def _phase(status: wire.RequestStatus) -> str:
    return {"in_queue": "queued", "in_progress": "running"}.get(status.status, status.status)


def _outcome(
    client: RunComfyClient, d: DesiredDeployment, result: wire.RequestResult, took: float, *, keep: bool = False
) -> checks.RunOutcome:
    """Download what the expectations need to look inside (with ``keep``, every picture) and bundle it."""
    assert d.smoke is not None
    files: dict[checks.ItemKey, bytes] = {}
    failures: dict[checks.ItemKey, str] = {}
    expect = d.smoke.expect.outputs
    for node_id, channels in result.outputs.items():
        for channel, items in channels.items():
            declared = expect.get(node_id, {})
            expectation = next((e for c, e in declared.items() if c == channel), None)
            needed = expectation is not None and checks.needs_bytes(expectation)
            for index, item in enumerate(items):
                url = item.get("url") if isinstance(item, Mapping) else None
                if not isinstance(url, str) or not (needed or (keep and keeping.wanted(channel, index))):
                    continue
                try:
                    files[(node_id, channel, index)] = client.download(url)
                except errors.ApiError as error:
                    if needed:  # a picture only kept for the gallery is no check's business
                        failures[(node_id, channel, index)] = error.summary
    return checks.RunOutcome(
        status=result.status, outputs=result.outputs, files=files, download_errors=failures,
        errors=tuple(e.message or (e.type or "error") for e in result.error),
        duration_seconds=_server_duration(result) or took,
    )


def _server_duration(result: wire.RequestResult) -> float | None:
    """Submit-to-finish time from the result's own timestamps, when both are readable."""
    try:
        if result.created_at and result.finished_at:
            seconds = (datetime.fromisoformat(result.finished_at) - datetime.fromisoformat(result.created_at))
            return max(0.0, seconds.total_seconds())
    except (ValueError, TypeError):
        return None
    return None


def _finish(shared: _Shared, d: DesiredDeployment, result: DeploymentResult) -> DeploymentResult:
    """Delete the request's stored assets (unless ``cleanup: false``) and report the result."""
    assert d.smoke is not None and result.request_id is not None and result.deployment_id is not None
    shared.journal.finished(request_id=result.request_id, outcome=result.run_status, instance_id=result.instance_id)
    if not d.smoke.cleanup:
        cleanup = "kept (cleanup: false)"
    else:
        try:
            gone = shared.client.delete_request(result.deployment_id, result.request_id, abort=shared.pacer.stop)
            cleanup = f"deleted {gone.deleted_objects} stored object{'s' if gone.deleted_objects != 1 else ''}"
        except ratelimit.Aborted:  # after Ctrl-C, not worth waiting for the rate limiter
            cleanup = "not deleted: interrupted"
        except errors.ApiError as error:
            cleanup = f"not deleted: {error.summary}"
    return _done(shared, replace(result, cleanup=cleanup))


def _done(shared: _Shared, result: DeploymentResult) -> DeploymentResult:
    shared.progress.update(result.name, "done", f"{result.status.value}: {result.reason}")
    return result


def _secrets(desired: DesiredState, deployments: Sequence[DesiredDeployment]) -> tuple[str, ...]:
    found = set(desired.secret_values)
    for d in deployments:
        if d.smoke is not None and d.smoke.extra_data:
            found.update(_strings(d.smoke.extra_data))
        if d.smoke_overrides is not None:
            for node, name in d.smoke_overrides.sensitive_inputs:
                found.update(_strings(d.smoke_overrides.values.get(node, {}).get(name)))
    return tuple(sorted((s for s in found if len(s) >= 4), key=len, reverse=True))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _scrub(result: DeploymentResult, secrets: tuple[str, ...]) -> DeploymentResult:
    def clean(text: str) -> str:
        return mask(text, secrets)

    return replace(
        result, reason=clean(result.reason), cleanup=clean(result.cleanup),
        checks=tuple(replace(c, message=clean(c.message)) for c in result.checks),
        goldens=tuple(replace(g, message=clean(g.message)) for g in result.goldens),
    )
