"""jsontext.dumps_indented writes what json.dumps(indent=2, sort_keys=True, allow_nan=False) writes, byte for byte."""

from __future__ import annotations

import enum
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.jsontext import dumps_compact, dumps_indented

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    | st.dictionaries(st.integers() | st.text(max_size=2), inner, max_size=3),
    max_leaves=30,
)


def standard(value: Any, indent: int = 2) -> str | tuple[type, str]:
    """json.dumps' text, or the error it raises."""
    try:
        return json.dumps(value, indent=indent, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return type(exc), str(exc)


def fast(value: Any, indent: int = 2) -> str | tuple[type, str]:
    try:
        return dumps_indented(value, indent)
    except (TypeError, ValueError, RecursionError) as exc:
        return type(exc), str(exc)


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from([1, 2, 4]))
def test_the_text_is_json_dumps_own(value: Any, indent: int) -> None:
    assert fast(value, indent) == standard(value, indent)


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


def _circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


def _deep(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("value", [
    {"changes": [{"after": {"a": 1}, "diff": [], "warnings": ["w"], "id": None, "cost": 0.0}], "n": -0.0},
    {"a": [Colour.RED, Level.HIGH], "b": {"c": [Colour.RED]}},  # subclasses: json.dumps' own spelling
    {"a": {"b": [1]}, 2: 3},  # a key that is not a string beside nested values
    {"a": [{"b": {(1,): 2}}]},  # a key JSON cannot have
    {"a": {"b": [1]}, "c": float("inf")},
    {"a": [[float("nan")]]},
    {"a": [[object()]]},
    _circular(),
    _deep(400),
    _deep(3000),
    {"\u2028 \x00 \"\\ é": ["\ud800", "é"]},
])
def test_what_the_fast_path_leaves_to_json_dumps_comes_out_the_same(value: Any) -> None:
    assert fast(value) == standard(value)


def compact_standard(value: Any) -> str | tuple[type, str]:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        return type(exc), str(exc)


def compact_fast(value: Any) -> str | tuple[type, str]:
    try:
        return dumps_compact(value)
    except (TypeError, ValueError, RecursionError) as exc:
        return type(exc), str(exc)


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_compact_text_is_json_dumps_own(value: Any) -> None:
    assert compact_fast(value) == compact_standard(value)


@pytest.mark.parametrize("value", [{"a": [float("nan")]}, _circular(), {(1,): 2}, {"a": [object()]}, {"b": 1, 2: 3}])
def test_compact_errors_and_edge_values_are_json_dumps_own(value: Any) -> None:
    assert compact_fast(value) == compact_standard(value)
