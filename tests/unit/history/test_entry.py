"""History entries: what a line may hold, state transitions, and which instance may still be warm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.history.entry import Entry, from_json, iso, latest, warm_instance

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def entry(rid: str = "r-1", *, at: datetime = T0, **fields: Any) -> Entry:
    base: dict[str, Any] = {"request_id": rid, "deployment_id": "d-1", "deployment": "t2i", "source": "smoke",
                            "api": "emulator", "submitted_at": iso(at), "updated_at": iso(at)}
    return Entry(**{**base, **fields})


def test_a_line_round_trips() -> None:
    e = entry(status="completed", outcome="succeeded", instance_id="instance-1", finished_at=iso(T0))
    assert from_json(e.to_json()) == e


@pytest.mark.parametrize("change", [
    {"request_id": "has space"},
    {"request_id": None},
    {"instance_id": "https://cdn.example/out.png?sig=secret"},
    {"status": "Completed!"},
    {"submitted_at": "yesterday"},
    {"api": "api.example/path?x"},
    {"deployment": "bad\nname"},
    {"deployment_id": 42},
])
def test_lines_that_do_not_look_like_ours_are_refused(change: dict[str, Any]) -> None:
    assert from_json({**entry().to_json(), **change}) is None


def test_unknown_keys_never_come_back_out() -> None:
    line = {**entry().to_json(), "overrides": {"6": {"inputs": {"text": "secret"}}}, "url": "https://x/y?sig=1"}
    found = from_json(line)
    assert found is not None and "overrides" not in found.to_json() and "url" not in found.to_json()


def test_observed_moves_to_terminal_and_stamps_finish() -> None:
    later = T0 + timedelta(seconds=30)
    running = entry().observed(T0, status="in_progress", instance_id="i-1")
    assert (running.status, running.instance_id, running.finished_at) == ("in_progress", "i-1", None)
    done = running.observed(later, outcome="succeeded")
    assert (done.status, done.outcome, done.finished_at, done.instance_id) == ("completed", "succeeded", iso(later),
                                                                               "i-1")
    assert done.observed(later + timedelta(seconds=5), status="completed").finished_at == iso(later)
    assert entry().observed(T0, status="cancelled").outcome == "cancelled"


def test_latest_keeps_the_last_line_per_request() -> None:
    a1, b, a2 = entry("a"), entry("b", at=T0 + timedelta(seconds=1)), entry("a", status="completed")
    assert latest([a1, b, a2]) == [a2, b]


def test_warm_instance_is_the_newest_within_keep_warm() -> None:
    old = entry("old", status="completed", instance_id="i-old", finished_at=iso(T0))
    new = entry("new", at=T0 + timedelta(seconds=10), status="completed", instance_id="i-new",
                finished_at=iso(T0 + timedelta(seconds=20)))
    other = entry("other", deployment_id="d-2", instance_id="i-other", at=T0 + timedelta(seconds=30))
    found = warm_instance([old, new, other], "d-1", keep_warm_seconds=60, now=T0 + timedelta(seconds=70))
    assert found is not None and (found.instance_id, found.warm_until) == ("i-new", T0 + timedelta(seconds=80))
    assert warm_instance([old, new], "d-1", keep_warm_seconds=60, now=T0 + timedelta(seconds=81)) is None
    assert warm_instance([entry("x")], "d-1", keep_warm_seconds=60, now=T0) is None  # no instance known


@given(st.lists(st.tuples(st.integers(0, 600), st.integers(0, 5)), min_size=1, max_size=8), st.integers(0, 120),
       st.integers(0, 900))
def test_warm_instance_never_picks_an_instance_past_keep_warm(
    finishes: list[tuple[int, int]], keep_warm: int, now_offset: int
) -> None:
    entries = [entry(f"r{i}", status="completed", instance_id=f"i-{inst}", finished_at=iso(T0 + timedelta(seconds=f)))
               for i, (f, inst) in enumerate(finishes)]
    now = T0 + timedelta(seconds=now_offset)
    found = warm_instance(entries, "d-1", keep_warm_seconds=keep_warm, now=now)
    warm = [e for e in entries if (e.last_active() or now) + timedelta(seconds=keep_warm) >= now]
    if not warm:
        assert found is None
    else:
        assert found is not None
        assert found.entry.last_active() == max(e.last_active() or now for e in warm)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.sampled_from([*entry().to_json(), "url", "overrides"]), _json, max_size=4))
def test_from_json_never_raises_and_never_lets_anything_else_through(changes: dict[str, Any]) -> None:
    found = from_json({**entry().to_json(), **changes})
    if found is not None:
        assert set(found.to_json()) == set(entry().to_json())
        assert all(v is None or isinstance(v, str) for v in found.to_json().values())
        assert found.status == (changes.get("status", "submitted"))


def test_statuses_from_the_api_are_stored_as_readable_words() -> None:
    seen = entry().observed(T0, status="In-Progress", instance_id="pod/gpu-7")
    assert (seen.status, seen.instance_id) == ("in_progress", "pod/gpu-7")
    assert from_json(seen.to_json()) == seen
