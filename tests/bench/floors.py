"""The floor of each benchmark workload, from first principles: the least time (or CPU) any client needs.

Rate-limited work: the account's token bucket (``rate`` tokens a second, ``burst`` at most, full at
the start) hands out one token per API call, so the minimal calls of a workload, sent as early as
their dependencies allow, take :func:`schedule` seconds. Minimal calls:

- apply: one list, one call per change (create, PATCH or DELETE), one read-back list; nothing waits on
  anything else, so the floor is ``(calls - burst) / rate``.
- smoke: one list, then per test a submit, the result and the cleanup delete. The result cannot be
  read before the job (``job_seconds`` after its submit) has finished; no status poll is minimal,
  since the result endpoint answers for a finished job. Jobs overlap the submissions.

CPU-bound work (plan, validate) has no rate-limit floor: its floor is the CPU of ``floor_plan.py``, a
script that does the least any plan must (parse with libyaml into nodes with positions, one GET, a
field-by-field comparison), measured in the same run on the same machine.
"""

from __future__ import annotations

import heapq


class Bucket:
    """A token bucket as the server keeps it: ``take(t)`` is when a call ready at ``t`` can go."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.last = float(burst), 0.0

    def take(self, ready: float) -> float:
        """The time a call ready at ``ready`` is sent (it takes one token)."""
        now = max(ready, self.last)
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        if self.tokens < 1:
            now += (1 - self.tokens) / self.rate
            self.tokens = 1.0
        self.tokens -= 1
        self.last = now
        return now


def rate_floor(calls: int, rate: float, burst: int) -> float:
    """Seconds ``calls`` independent calls need under the bucket: ``(calls - burst) / rate``."""
    return max(0.0, (calls - burst) / rate)


def smoke_floor(tests: int, job_seconds: float, rate: float, burst: int) -> float:
    """Seconds a smoke run of ``tests`` jobs of ``job_seconds`` needs at least: list, then per test submit,
    result (after its job ends) and delete, each call sent as soon as it is ready and a token is free
    (earliest-ready first; submits first among equals, so the jobs start as early as they can)."""
    bucket = Bucket(rate, burst)
    listed = bucket.take(0.0)
    ready: list[tuple[float, int, int]] = [(listed, 0, i) for i in range(tests)]  # (ready at, step, test)
    heapq.heapify(ready)
    end = listed
    while ready:
        at, step, test = heapq.heappop(ready)
        sent = bucket.take(at)
        end = max(end, sent)
        if step == 0:  # submitted: its result can be read once the job has run
            heapq.heappush(ready, (sent + job_seconds, 1, test))
        elif step == 1:  # result read: delete its assets
            heapq.heappush(ready, (sent, 2, test))
    return end
