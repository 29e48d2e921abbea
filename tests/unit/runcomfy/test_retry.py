"""retry: the policy as data and the pure retry/reconcile/escalate decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from reconciler.retry import RetryPolicy, retry_after_seconds
from reconciler.runcomfy import errors, retry
from reconciler.runcomfy.retry import Action, CallKind


def _server() -> errors.ApiError:
    return errors.ServerError(method="GET", path="/p", status=503)


def _transport(*, landed: bool) -> errors.ApiError:
    return errors.TransportError(method="GET", path="/p", message="x", may_have_landed=landed)


def _limited(after: float | None = None) -> errors.ApiError:
    return errors.RateLimitedError(method="GET", path="/p", status=429, retry_after=after)


def test_default_policy_backoffs_are_data() -> None:
    policy = RetryPolicy()
    assert (policy.base, policy.factor, policy.cap, policy.max_attempts) == (0.5, 2.0, 30.0, 5)
    assert [policy.backoff(n, lambda: 1.0) for n in range(1, policy.max_attempts)] == [0.5, 1.0, 2.0, 4.0]


def test_backoffs_are_capped() -> None:
    capped = RetryPolicy(base=10, factor=3, cap=30, max_attempts=4)
    assert [capped.backoff(n, lambda: 1.0) for n in range(1, capped.max_attempts)] == [10, 30, 30]


def test_full_jitter_scales_the_ceiling_by_rng() -> None:
    policy = RetryPolicy()
    assert policy.backoff(3, lambda: 0.5) == 1.0
    assert policy.backoff(3, lambda: 0.0) == 0.0
    assert policy.backoff(1, lambda: 0.999) == pytest.approx(0.4995)


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base": -1}, {"factor": 0.5}])
def test_invalid_policy_is_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "kind", "action"),
    [
        (_server(), CallKind.IDEMPOTENT, Action.RETRY),
        (_server(), CallKind.CREATE, Action.RECONCILE),
        (_server(), CallKind.UNSAFE, Action.ESCALATE),
        (_transport(landed=True), CallKind.IDEMPOTENT, Action.RETRY),
        (_transport(landed=True), CallKind.CREATE, Action.RECONCILE),
        (_transport(landed=True), CallKind.UNSAFE, Action.ESCALATE),
        (_transport(landed=False), CallKind.CREATE, Action.RETRY),
        (_transport(landed=False), CallKind.UNSAFE, Action.RETRY),
        (_limited(), CallKind.CREATE, Action.RETRY),
        (_limited(), CallKind.UNSAFE, Action.RETRY),
        (errors.NotFoundError(method="GET", path="/p", status=404), CallKind.IDEMPOTENT, Action.ESCALATE),
        (errors.ValidationError(method="GET", path="/p", status=422), CallKind.IDEMPOTENT, Action.ESCALATE),
        (errors.ConflictError(method="GET", path="/p", status=409), CallKind.IDEMPOTENT, Action.ESCALATE),
        (errors.AuthenticationError(method="GET", path="/p", status=401), CallKind.IDEMPOTENT, Action.ESCALATE),
    ],
)
def test_decision_table(error: errors.ApiError, kind: CallKind, action: Action) -> None:
    assert retry.decide(error, kind=kind, attempt=1, policy=RetryPolicy(), rng=lambda: 1.0).action is action


def test_last_attempt_escalates() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert retry.decide(_server(), kind=CallKind.IDEMPOTENT, attempt=2, policy=policy, rng=lambda: 1).action \
        is Action.RETRY
    last = retry.decide(_server(), kind=CallKind.IDEMPOTENT, attempt=3, policy=policy, rng=lambda: 1)
    assert last.action is Action.ESCALATE and last.note == "out of attempts"


def test_retry_after_overrides_backoff() -> None:
    decision = retry.decide(_limited(7.0), kind=CallKind.IDEMPOTENT, attempt=1, policy=RetryPolicy(),
                            rng=lambda: 1.0)
    assert decision == (Action.RETRY, 7.0, "Retry-After")


def test_overlong_retry_after_escalates() -> None:
    decision = retry.decide(_limited(600.0), kind=CallKind.IDEMPOTENT, attempt=1, policy=RetryPolicy(),
                            rng=lambda: 1.0)
    assert decision.action is Action.ESCALATE and "600" in decision.note


def test_backoff_delay_uses_rng() -> None:
    decision = retry.decide(_server(), kind=CallKind.IDEMPOTENT, attempt=2, policy=RetryPolicy(), rng=lambda: 0.25)
    assert decision.delay == 0.25


NOW = datetime(2025, 7, 22, 13, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0), (" 3 ", 3.0), ("1.5", 1.5), ("0", 0.0), ("-5", 0.0),
        (format_datetime(NOW + timedelta(seconds=42), usegmt=True), 42.0),
        ("Tue, 22 Jul 2025 13:00:10 GMT", 10.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        ("soon", None), ("", None), (None, None), ("nan", None),
    ],
)
def test_retry_after_seconds_parses_delta_and_http_date(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value, NOW) == expected


def test_retry_after_http_date_with_naive_now() -> None:
    assert retry_after_seconds("Tue, 22 Jul 2025 13:00:10 GMT", NOW.replace(tzinfo=None)) == 10.0


def test_may_have_landed() -> None:
    assert retry.may_have_landed(_server())
    assert retry.may_have_landed(_transport(landed=True))
    assert not retry.may_have_landed(_transport(landed=False))
    assert not retry.may_have_landed(_limited())
