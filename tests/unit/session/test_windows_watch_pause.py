"""Apply windows, the watch loop's waits and stop, and the pause file."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.session import pause, watch, windows

MONDAY_10 = datetime(2026, 12, 7, 10, 5, 30, tzinfo=UTC)


def test_a_window_is_the_minutes_its_cron_expression_matches() -> None:
    office = ["* 9-16 * * 1-5"]
    assert windows.may_heal(office, MONDAY_10)
    assert not windows.may_heal(office, MONDAY_10.replace(hour=17))
    assert not windows.may_heal(office, datetime(2026, 12, 6, 10, 0, tzinfo=UTC))  # a Sunday
    assert windows.may_heal([], MONDAY_10)  # no windows: always
    assert windows.open_window(["0 3 * * *", *office], MONDAY_10) == office[0]


def test_the_next_opening_is_reported_in_utc() -> None:
    assert windows.next_opening(["0 3 * * *"], MONDAY_10) == datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    assert windows.next_opening([], MONDAY_10) is None


def test_waits_grow_after_failures_and_are_capped() -> None:
    assert watch.next_wait(300, 0, 0.0) == 300
    assert watch.next_wait(300, 0, 1.0) == pytest.approx(330)  # at most 10% jitter
    assert watch.next_wait(300, 1, 0.0) == 600
    assert watch.next_wait(300, 30, 0.0) == 300 * watch.MAX_BACKOFF_FACTOR
    assert watch.next_wait(1, 30, 0.0) == watch.MIN_MAX_BACKOFF_SECONDS


def test_the_loop_runs_one_pass_at_a_time_backs_off_and_stops_when_told() -> None:
    stop = threading.Event()
    waits: list[float] = []
    outcomes = iter([False, False, True, True])

    def one_pass(number: int) -> bool:
        if number == 4:
            stop.set()  # SIGTERM arrives during the fourth pass: it finishes, then the loop ends
        return next(outcomes)

    done = watch.watch(one_pass, interval=0.001, stop=stop, rng=lambda: 0.0, on_wait=waits.append)
    assert (done.passes, done.failures) == (4, 2)
    assert waits == pytest.approx([0.002, 0.004, 0.001])


def test_max_passes_bounds_the_loop() -> None:
    done = watch.watch(lambda n: True, interval=0.001, stop=threading.Event(), max_passes=3)
    assert done.passes == 3


def test_pause_and_resume_round_trip(tmp_path: Path) -> None:
    path = tmp_path / pause.FILE_NAME
    now = datetime(2026, 12, 6, tzinfo=UTC)
    added = pause.add(path, "prod", "2026-12-31T18:00Z", "freeze", now)
    assert added.until == datetime(2026, 12, 31, 18, 0, tzinfo=UTC)
    pause.add(path, None, "2026-12-24", "holidays", now)
    pauses = pause.read(path)
    assert pause.effective(pauses, "prod") == pauses["prod"]
    assert pause.effective(pauses, "staging") == pauses["*"]
    assert pauses["*"].until == datetime(2026, 12, 25, tzinfo=UTC)  # a date holds through that day
    assert pauses["prod"].active(now) and not pauses["prod"].active(datetime(2027, 1, 1, tzinfo=UTC))
    assert "ended at 2026-12-31T18:00:00Z" in pauses["prod"].describe(datetime(2027, 1, 1, tzinfo=UTC))
    assert pause.remove(path, "prod") is not None
    assert pause.remove(path, "prod") is None
    assert pause.remove(path, None) is not None
    assert not path.exists()


def test_a_pause_in_the_past_or_unparsable_is_refused(tmp_path: Path) -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    with pytest.raises(ReconcilerError, match="in the past"):
        pause.add(tmp_path / "p.json", None, "2026-01-01", "x", now)
    with pytest.raises(ReconcilerError, match="is not a date"):
        pause.add(tmp_path / "p.json", None, "tomorrow", "x", now)


def test_an_unreadable_pause_file_is_an_error_not_no_pause(tmp_path: Path) -> None:
    path = tmp_path / pause.FILE_NAME
    path.write_text(json.dumps({"pauses": {"prod": {"until": "soon"}}}))
    with pytest.raises(ReconcilerError, match="not a comfyops pause file"):
        pause.read(path)
    path.write_text("{")
    with pytest.raises(ReconcilerError, match="not a comfyops pause file"):
        pause.read(path)


def test_writing_the_pause_replaces_a_planted_link_instead_of_following_it(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    path = tmp_path / pause.FILE_NAME
    path.symlink_to(target)
    with pytest.raises(ReconcilerError):
        pause.add(path, None, None, "x", datetime(2026, 12, 6, tzinfo=UTC))  # the link's text is no pause file
    path.unlink()
    path.symlink_to(tmp_path / "missing.json")
    pause.add(path, None, None, "x", datetime(2026, 12, 6, tzinfo=UTC))
    assert not path.is_symlink() and target.read_text() == "keep me"
