"""Names sort naturally in plans, status and drift: load-1, load-2, load-10 (issue 23 §3)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from reconciler.engine.natural import natural_key


def test_digit_runs_compare_as_numbers() -> None:
    names = ["load-10", "load-2", "load-1", "Load-3", "load-1b", "alpha", "load-01"]
    assert sorted(names, key=natural_key) == ["alpha", "load-01", "load-1", "load-1b", "load-2", "Load-3", "load-10"]


@given(st.lists(st.text(alphabet="ab-_.019", max_size=8), max_size=12))
def test_the_order_is_total_and_stable(names: list[str]) -> None:
    shuffled = names[:]
    random.Random(0).shuffle(shuffled)
    assert sorted(names, key=natural_key) == sorted(shuffled, key=natural_key)
