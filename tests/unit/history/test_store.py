"""The history file: appends, latest state per request, the size bound, unreadable lines, unwritable places."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.history import store as store_mod
from reconciler.history.entry import Entry, iso
from reconciler.history.journal import HistoryJournal
from reconciler.history.store import HistoryStore

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def entry(rid: str, seconds: int = 0) -> Entry:
    at = iso(T0 + timedelta(seconds=seconds))
    return Entry(request_id=rid, deployment_id="d-1", deployment="t2i", source="run", api="emulator",
                 submitted_at=at, updated_at=at)


def test_writes_append_and_the_last_line_wins(tmp_path: Path) -> None:
    history = HistoryStore(tmp_path / "sub" / "h.jsonl")
    assert history.read().entries == ()
    history.write(entry("a"), entry("b", 1))
    history.write(entry("a").observed(T0 + timedelta(seconds=9), status="completed", outcome="succeeded"))
    snapshot = history.read()
    assert [(e.request_id, e.status) for e in snapshot.entries] == [("a", "completed"), ("b", "submitted")]
    assert len((tmp_path / "sub" / "h.jsonl").read_text().splitlines()) == 3


def test_unreadable_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text("not json\n" + json.dumps(entry("a").to_json()) + "\n" + '{"request_id": "x"}\n{"trunc')
    snapshot = HistoryStore(path).read()
    assert [e.request_id for e in snapshot.entries] == ["a"] and snapshot.skipped_lines == 3


def test_the_file_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "KEEP_REQUESTS", 5)
    monkeypatch.setattr(store_mod, "MAX_LINES", 10)
    path = tmp_path / "h.jsonl"
    history = HistoryStore(path)
    for i in range(25):
        history.write(entry(f"r{i:02d}", i))
        assert len(path.read_text().splitlines()) <= 10
    kept = [e.request_id for e in history.read().entries]
    assert kept[-1] == "r24" and len(kept) <= 10 and "r00" not in kept


def test_the_documented_bound() -> None:
    assert (store_mod.KEEP_REQUESTS, store_mod.MAX_LINES) == (1000, 2000)


def test_an_unwritable_history_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ReconcilerError, match="cannot write the request history"):
        HistoryStore(blocker / "h.jsonl").write(entry("a"))


def test_journal_warns_once_and_carries_on(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    warnings: list[str] = []
    journal = HistoryJournal(HistoryStore(blocker / "h.jsonl"), api="emulator", source="smoke", warn=warnings.append)
    journal.submitted(deployment="t2i", deployment_id="d-1", request_id="r-1")
    journal.submitted(deployment="t2i", deployment_id="d-1", request_id="r-2")
    journal.finished(request_id="r-1", outcome="succeeded", instance_id="i-1")
    assert len(warnings) == 1 and warnings[0].startswith("request history not recorded: cannot write")


def test_journal_records_submit_and_finish(tmp_path: Path) -> None:
    clock = iter([T0, T0 + timedelta(seconds=5)])
    history = HistoryStore(tmp_path / "h.jsonl", clock=lambda: next(clock))
    journal = HistoryJournal(history, api="api.runcomfy.net", source="run")
    journal.submitted(deployment="t2i", deployment_id="d-1", request_id="r-1")
    journal.finished(request_id="r-1", outcome="failed", instance_id="i-9")
    journal.finished(request_id="unknown", outcome="failed", instance_id="i-9")  # ignored
    [found] = history.read().entries
    assert (found.status, found.outcome, found.instance_id, found.api) == ("completed", "failed", "i-9",
                                                                           "api.runcomfy.net")
    assert (found.submitted_at, found.finished_at) == (iso(T0), iso(T0 + timedelta(seconds=5)))
