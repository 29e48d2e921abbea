"""ratelimit.TokenBucket with a fake clock: bursts, steady rate, shared pauses, thread safety."""

from __future__ import annotations

import threading

import pytest

from reconciler.runcomfy import ratelimit
from reconciler.runcomfy.ratelimit import TokenBucket
from support.fake_time import FakeTime


def _bucket(t: FakeTime, rate: float = 1.0, burst: int = 5) -> TokenBucket:
    return TokenBucket(rate, burst, clock=t.clock, sleep=t.sleep)


def test_defaults_are_the_documented_account_limit() -> None:
    assert (ratelimit.DEFAULT_RATE, ratelimit.DEFAULT_BURST) == (1.0, 5)


def test_burst_goes_out_at_once_then_steady_rate() -> None:
    t = FakeTime(start=100.0)
    bucket = _bucket(t)
    assert [bucket.acquire() for _ in range(5)] == [0.0] * 5
    assert t.sleeps == []
    assert bucket.acquire() == pytest.approx(1.0)
    assert bucket.acquire() == pytest.approx(1.0)
    assert t.sleeps == pytest.approx([1.0, 1.0])


def test_rate_sets_the_wait() -> None:
    t = FakeTime(start=100.0)
    bucket = _bucket(t, rate=4.0, burst=1)
    bucket.acquire()
    assert bucket.acquire() == pytest.approx(0.25)


def test_idle_time_refills_up_to_burst_only() -> None:
    t = FakeTime(start=100.0)
    bucket = _bucket(t, burst=3)
    for _ in range(3):
        bucket.acquire()
    t.now += 1000
    assert bucket.available == 3.0
    for _ in range(3):
        assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(1.0)


def test_penalize_pauses_every_caller_and_drops_the_burst() -> None:
    t = FakeTime(start=100.0)
    bucket = _bucket(t)
    bucket.acquire()
    bucket.penalize(7.0)
    assert bucket.available == 0.0
    assert bucket.acquire() == pytest.approx(7.0)  # one call when the pause ends...
    assert bucket.acquire() == pytest.approx(1.0)  # ...then the steady rate, no burst
    assert bucket.acquire() == pytest.approx(1.0)


def test_penalize_never_shortens_a_pause() -> None:
    t = FakeTime(start=100.0)
    bucket = _bucket(t)
    bucket.penalize(10.0)
    bucket.penalize(2.0)
    assert bucket.acquire() == pytest.approx(10.0)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 5), (-1.0, 5), (1.0, 0)])
def test_invalid_arguments(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, burst)


class _Blocked(Exception):
    pass


def test_threads_never_take_more_than_the_burst() -> None:
    def refuse(_: float) -> None:
        raise _Blocked

    bucket = TokenBucket(1.0, 5, clock=lambda: 0.0, sleep=refuse)
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            bucket.acquire()
        except _Blocked:
            return
        with lock:
            granted.append(1)

    threads = [threading.Thread(target=worker) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 5


def test_an_exhausted_bucket_still_lets_one_call_go_when_the_pause_ends() -> None:
    t = FakeTime(start=100.0)
    bucket = _bucket(t, burst=1)
    bucket.acquire()
    bucket.penalize(3.0)
    assert bucket.acquire() == pytest.approx(3.0)
    assert bucket.acquire() == pytest.approx(1.0)


def _adaptive(t: FakeTime, limit: float = 1.0, burst: int = 5) -> TokenBucket:
    return ratelimit.account_bucket(limit, burst, clock=t.clock, sleep=t.sleep)


def test_the_account_bucket_starts_a_hair_under_the_limit_not_ten_percent_under() -> None:
    bucket = _adaptive(FakeTime(start=0.0))
    assert bucket.rate == pytest.approx(0.98)
    assert bucket.limit == 1.0


def test_a_429_slows_the_adaptive_bucket_and_answered_calls_bring_it_back() -> None:
    t = FakeTime(start=0.0)
    bucket = _adaptive(t)
    bucket.penalize(1.0)
    assert bucket.rate == pytest.approx(0.98 * ratelimit.BACKOFF)
    bucket.penalize(1.0)
    assert bucket.rate == pytest.approx(0.98 * ratelimit.BACKOFF**2)
    for _ in range(100):
        bucket.succeeded()
    assert bucket.rate == pytest.approx(0.98)  # back to where it started, never past it


def test_the_adaptive_bucket_never_slows_below_its_floor() -> None:
    bucket = _adaptive(FakeTime(start=0.0), limit=2.0)
    for _ in range(50):
        bucket.penalize(0.0)
    assert bucket.rate == pytest.approx(2.0 * ratelimit.MIN_FRACTION)


def test_a_fixed_bucket_ignores_success_and_keeps_its_rate_after_a_429() -> None:
    bucket = _bucket(FakeTime(start=0.0), rate=3.0)
    bucket.penalize(1.0)
    bucket.succeeded()
    assert bucket.rate == 3.0


def test_a_server_budget_of_zero_pauses_until_its_reset() -> None:
    t = FakeTime(start=0.0)
    bucket = _adaptive(t)
    bucket.observe(0, 2.5)
    assert bucket.acquire() == pytest.approx(2.5)


def test_a_server_budget_caps_the_burst() -> None:
    t = FakeTime(start=0.0)
    bucket = _adaptive(t)
    bucket.observe(2, 10.0)
    assert [bucket.acquire() for _ in range(2)] == [0.0, 0.0]
    assert bucket.acquire() > 0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"ratelimit-remaining": "3", "ratelimit-reset": "7"}, (3, 7.0)),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000010"}, (0, 10.0)),  # a Unix time
        ({"x-ratelimit-remaining": "0"}, (0, 0.0)),
        ({"x-ratelimit-remaining": "soon"}, None),
        ({"ratelimit-remaining": "0", "ratelimit-reset": "99999"}, (0, 3600.0)),  # not believed past an hour
    ],
)
def test_server_budget_headers(headers: dict[str, str], expected: tuple[int, float] | None) -> None:
    assert ratelimit.server_budget(headers, now_epoch=1_700_000_000.0) == expected


def test_priority_calls_borrow_up_to_a_burst_ahead_and_the_debt_slows_later_calls() -> None:
    t = FakeTime(start=100.0)
    bucket = _bucket(t, rate=1.0, burst=3)
    assert [bucket.acquire() for _ in range(3)] == [0.0] * 3  # empty now
    assert [bucket.acquire(priority=True) for _ in range(3)] == [0.0] * 3  # cancels: no wait
    assert t.sleeps == []
    assert bucket.acquire(priority=True) == pytest.approx(1.0)  # at most a burst of debt
    assert bucket.acquire() == pytest.approx(4.0)  # an ordinary call pays the debt back first


def test_a_waiting_call_gives_up_when_its_abort_switch_is_thrown() -> None:
    abort = threading.Event()

    def sleep(seconds: float) -> None:
        abort.set()  # Ctrl-C while waiting for a token
        t.sleep(seconds)

    t = FakeTime(start=100.0)
    bucket = TokenBucket(1.0, 1, clock=t.clock, sleep=sleep)
    bucket.acquire(abort=abort)
    with pytest.raises(ratelimit.Aborted):
        bucket.acquire(abort=abort)
    assert bucket.acquire(priority=True) == 0.0  # the token it did not take is still there for a cancel
