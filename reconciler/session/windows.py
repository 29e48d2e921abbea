"""Apply windows: the minutes in which self-heal may act (``Settings.drift.windows``, cron syntax).

Effect-free helpers over croniter. A window is a cron expression read in UTC; the current minute is inside it
when the expression matches that minute, so ``* 9-16 * * 1-5`` is weekdays 09:00-16:59 UTC and
``*/10 2 * * *`` the first minute of each ten between 02:00 and 02:59. No windows means heal may always act.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from croniter import croniter


def open_window(windows: Sequence[str], now: datetime) -> str | None:
    """The first window ``now`` falls in (None when none does, or when there are no windows)."""
    minute = now.astimezone(UTC).replace(second=0, microsecond=0, tzinfo=None)
    return next((w for w in windows if croniter.match(w, minute)), None)


def may_heal(windows: Sequence[str], now: datetime) -> bool:
    """Whether heal may act at ``now``: no windows are set, or one of them is open."""
    return not windows or open_window(windows, now) is not None


def next_opening(windows: Sequence[str], now: datetime) -> datetime | None:
    """When the next window opens after ``now`` (UTC), for reports; None without windows."""
    if not windows:
        return None
    start = now.astimezone(UTC).replace(tzinfo=None)
    soonest: datetime = min(croniter(w, start).get_next(datetime) for w in windows)
    return soonest.replace(tzinfo=UTC)
