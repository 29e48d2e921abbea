"""Progress output: plain lines off a terminal, a redrawn block on one."""

from __future__ import annotations

import io

from reconciler.smoke.progress import LineProgress, LiveProgress, make_progress


def test_plain_lines_print_each_phase_change_once() -> None:
    out = io.StringIO()
    ticks = iter([0.0, 1.5, 1.5, 2.0, 2.0, 2.0, 9.0, 9.0])
    progress = LineProgress(out, clock=lambda: next(ticks))
    progress.update("t2i", "queued", "req-1")
    progress.update("t2i", "queued", "req-1")
    progress.update("t2i", "running", "req-1")
    assert out.getvalue().splitlines() == ["[    1.5s] t2i: queued req-1", "[    2.0s] t2i: running req-1"]


def test_live_view_redraws_its_block_in_place() -> None:
    out = io.StringIO()
    now = [0.0]
    progress = LiveProgress(out, ["a", "bb"], clock=lambda: now[0], interval=60)
    now[0] = 1.0
    progress.update("a", "running")
    now[0] = 4.0
    progress.update("a", "done", "pass")
    progress.close()
    text = out.getvalue()
    assert "\x1b[2F" in text
    assert text.rstrip().endswith("bb  waiting")
    assert "a   done          3.0s  pass" in text


def test_make_progress_picks_by_tty() -> None:
    assert isinstance(make_progress(io.StringIO(), ["a"]), LineProgress)
