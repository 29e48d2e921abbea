"""A clock that moves only when something sleeps on it, for limiter and retry tests that never sleep."""

from __future__ import annotations


class FakeTime:
    """``clock``/``sleep`` pair; ``sleeps`` records every requested pause.

    ``floor`` makes each sleep advance at least that much, as a real sleep does; with ``floor=0`` a
    sleep too small to move the clock is visible to the test (the token-bucket livelock check).
    """

    def __init__(self, start: float = 0.0, floor: float = 0.0) -> None:
        self.now = start
        self.floor = floor
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(self.floor, seconds)
