"""The status-poll schedule: few polls per request, timed by state, age and the run's own durations."""

from __future__ import annotations

import pytest

from reconciler.runcomfy import wire
from reconciler.smoke import polling
from reconciler.smoke.runner import MAX_CONCURRENCY, auto_concurrency
from support.fake_time import FakeTime


class Job:
    """A request that is queued until ``starts`` and finished at ``ends`` (fake-clock seconds)."""

    def __init__(self, t: FakeTime, *, starts: float, ends: float) -> None:
        self.t, self.starts, self.ends = t, starts, ends
        self.polls: list[float] = []

    def request_status(self, deployment_id: str, request_id: str) -> wire.RequestStatus:
        self.polls.append(self.t.now)
        phase = "in_queue" if self.t.now < self.starts else "in_progress" if self.t.now < self.ends else "completed"
        return wire.RequestStatus.model_validate({"request_id": request_id, "status": phase})

    def cancel_request(self, deployment_id: str, request_id: str) -> wire.CancelResponse:
        raise AssertionError("never cancelled here")


def wait(t: FakeTime, job: Job, policy: polling.PollPolicy, **kw: object) -> wire.RequestStatus:
    pacer = polling.Pacer(clock=t.clock, sleep=t.sleep)
    return polling.wait_for(job, "d", "r", deadline=None, policy=policy, pacer=pacer, **kw)  # type: ignore[arg-type]


def test_a_five_second_job_is_polled_once_by_the_smoke_schedule() -> None:
    t = FakeTime(start=0.0)
    job = Job(t, starts=0.0, ends=4.9)
    assert wait(t, job, polling.SMOKE_POLICY).is_terminal
    assert job.polls == [pytest.approx(5.0)]


def test_the_first_poll_waits_for_the_runs_expected_duration_once_known() -> None:
    t = FakeTime(start=0.0)
    estimate = polling.DurationEstimate()
    for seconds in (11.0, 12.0, 30.0):
        estimate.record(seconds)
    job = Job(t, starts=0.0, ends=12.5)
    wait(t, job, polling.SMOKE_POLICY, estimate=estimate)
    assert job.polls == [pytest.approx(12.0 * polling.SMOKE_POLICY.margin)]  # the median, with a margin


def test_a_queued_job_is_polled_less_and_less_often() -> None:
    t = FakeTime(start=0.0)
    policy = polling.PollPolicy(initial=1.0, factor=1.5, maximum=100.0, queued_factor=2.0)
    job = Job(t, starts=20.0, ends=21.0)
    wait(t, job, policy)
    gaps = [b - a for a, b in zip(job.polls, job.polls[1:], strict=False)]
    assert gaps[:3] == pytest.approx([2.0, 4.0, 8.0])
    assert len(job.polls) <= 6


def test_a_running_job_past_its_expected_end_backs_off() -> None:
    t = FakeTime(start=0.0)
    estimate = polling.DurationEstimate()
    estimate.record(2.0)
    job = Job(t, starts=0.0, ends=30.0)
    wait(t, job, polling.PollPolicy(initial=1.0, factor=2.0, maximum=8.0), estimate=estimate)
    gaps = [b - a for a, b in zip(job.polls, job.polls[1:], strict=False)]
    assert gaps[0] == pytest.approx(2.0) and max(gaps) == pytest.approx(8.0)


def test_the_fair_share_floor_still_spaces_polls() -> None:
    t = FakeTime(start=0.0)
    job = Job(t, starts=0.0, ends=25.0)
    wait(t, job, polling.PollPolicy(initial=1.0, factor=1.0, maximum=1.0), floor=lambda: 10.0)
    assert job.polls == pytest.approx([10.0, 20.0, 30.0])


def test_the_estimate_is_the_median_and_empty_until_something_finished() -> None:
    estimate = polling.DurationEstimate()
    assert estimate.expected() is None
    for seconds in (4.0, 100.0, 6.0, 5.0):
        estimate.record(seconds)
    assert estimate.expected() == 5.5


def test_smoke_runs_every_test_at_once_by_default_up_to_a_cap() -> None:
    assert [auto_concurrency(n) for n in (0, 1, 20)] == [1, 1, 20]
    assert auto_concurrency(1000) == MAX_CONCURRENCY


class Early:
    """The result endpoint of a :class:`Job`: a final result once it ended, else not yet (None)."""

    def __init__(self, job: Job) -> None:
        self.job, self.asked = job, []  # type: list[float]

    def __call__(self) -> str | None:
        self.asked.append(self.job.t.now)
        return "result" if self.job.t.now >= self.job.ends else None


def known(*seconds: float) -> polling.DurationEstimate:
    """An estimate that has seen requests of these durations finish."""
    estimate = polling.DurationEstimate()
    for each in seconds:
        estimate.record(each)
    return estimate


def test_a_request_due_to_have_finished_asks_for_its_result_instead_of_its_status() -> None:
    t = FakeTime(start=0.0)
    estimate = known(5.0)
    job = Job(t, starts=0.0, ends=5.0)
    early = Early(job)
    assert wait(t, job, polling.SMOKE_POLICY, estimate=estimate, early=early) == "result"
    assert job.polls == [] and early.asked == [pytest.approx(5.0 * polling.SMOKE_POLICY.margin)]


def test_woken_on_the_first_poll_schedule_it_waits_for_the_runs_duration_without_polling() -> None:
    t = FakeTime(start=0.0)

    class LearnedLater(polling.DurationEstimate):
        def expected(self) -> float | None:  # another test's job finishes 1 s into this one's wait
            return super().expected() if t.now >= 1.0 else None

    estimate = LearnedLater()
    job = Job(t, starts=0.0, ends=8.0)
    early = Early(job)
    estimate.record(8.0)  # known by the time the first poll (initial = 5 s) wakes up
    result = polling.wait_for(job, "d", "r", deadline=None, policy=polling.SMOKE_POLICY,  # type: ignore[arg-type]
                              pacer=polling.Pacer(clock=t.clock, sleep=t.sleep), estimate=estimate, early=early,
                              floor=lambda: 4.0)  # the fair share spaces calls, not wake-ups that made none
    assert result == "result" and job.polls == [] and early.asked == [pytest.approx(8.4)]


def test_an_unfinished_request_is_then_followed_by_status_polls_and_asked_early_once() -> None:
    t = FakeTime(start=0.0)
    job = Job(t, starts=0.0, ends=20.0)
    early = Early(job)
    final = wait(t, job, polling.SMOKE_POLICY, estimate=known(5.0), early=early)
    assert isinstance(final, wire.RequestStatus) and final.is_terminal
    assert len(early.asked) == 1 and job.polls and job.polls[0] > early.asked[0]


def test_without_an_estimate_the_first_check_asks_for_the_result_at_the_first_polls_time() -> None:
    t = FakeTime(start=0.0)
    job = Job(t, starts=0.0, ends=4.9)
    early = Early(job)
    assert wait(t, job, polling.SMOKE_POLICY, early=early) == "result"
    assert early.asked == [pytest.approx(5.0)] and job.polls == []


def test_past_the_deadline_a_request_is_timed_out_by_its_status_not_asked_early() -> None:
    t = FakeTime(start=0.0)
    estimate = known(50.0)
    job = Job(t, starts=0.0, ends=100.0)
    early = Early(job)
    with pytest.raises(polling.TimedOut):
        polling.wait_for(job, "d", "r", deadline=10.0, policy=polling.SMOKE_POLICY,  # type: ignore[arg-type]
                         pacer=polling.Pacer(clock=t.clock, sleep=t.sleep), estimate=estimate, early=early)
    assert early.asked == [] and job.polls == [pytest.approx(10.0)]
