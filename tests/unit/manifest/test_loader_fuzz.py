"""Fuzzing the loader with mutations of the shipped examples: a valid model or clean errors, nothing else.

Each example manifest is mutated (characters deleted or inserted, lines duplicated or swapped, scalars
swapped for YAML's trick values: ``yes``, ``010``, ``1:30``, ``.inf``, ``!!set``, anchors, aliases,
merge keys, control characters) and loaded. The outcome must be a DesiredState, or problems that are
each one printable line with a location; never an exception, never an unlocated error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest.load import load_manifests

EXAMPLES = Path(__file__).parents[3] / "examples"
SOURCES = sorted(p for p in EXAMPLES.rglob("*.yaml"))
TRICKS = [
    "yes",
    "no",
    "on",
    "off",
    "010",
    "1:30",
    "1.0",
    '"1"',
    ".inf",
    ".nan",
    "-.inf",
    "~",
    "null",
    "2024-01-01",
    "!!set {a, b}",
    "!!binary aGk=",
    "!!timestamp 2024-01-01",
    "!!python/object:os.system x",
    "&a [1, *a]",
    "&b {x: 1}",
    "*b",
    "*undefined",
    "{<<: {a: 1}, a: 2}",
    "${VAR",
    "${A:-${B}}",
    "${HOME}",
    "$${X}",
    "[",
    "{",
    "'",
    '"',
    "\x00",
    "\x07",
    "\x1b[31m",
    "\u2028",
    "\ufeff",
    "\t",
    "- x",
    "? complex",
    "|",
    ">",
    "---",
    "...",
    "%YAML 1.1",
    "%TAG ! tag:x,2000:",
    "!local x",
    "9" * 400,
    "-1",
    "1e309",
    "0x1F",
    "0o17",
    "+1",
    "true",
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    source = draw(st.sampled_from(SOURCES))
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = ["\n"]
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete_char", "insert", "trick", "dup", "swap", "drop"]))
        line = lines[i]
        if kind == "delete_char" and line:
            j = draw(st.integers(0, len(line) - 1))
            lines[i] = line[:j] + line[j + 1 :]
        elif kind == "insert":
            j = draw(st.integers(0, len(line)))
            lines[i] = line[:j] + draw(st.sampled_from([*TRICKS, ":", "-", " ", "#", "&", "*", "!"])) + line[j:]
        elif kind == "trick" and ":" in line:
            key = line.split(":", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(TRICKS))}\n"
        elif kind == "dup":
            lines.insert(i, line)
        elif kind == "swap":
            k = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[k] = lines[k], lines[i]
        elif kind == "drop":
            del lines[i]
    return str(source.relative_to(EXAMPLES)), "".join(lines)


@pytest.mark.skipif(not SOURCES, reason="no examples/ in this checkout")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated())
def test_a_mutated_example_loads_or_fails_cleanly(
    case: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    relative, text = case
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(EXAMPLES, root / "examples")
    (root / "examples" / relative).write_text(text, encoding="utf-8", errors="surrogatepass")
    result = load_manifests([root / "examples"], env={"HOME": "/home/x", "VAR": "v"})
    if result.state is not None:
        assert not result.errors
        return
    assert result.errors, "no state and no error"
    for problem in result.problems:
        line = problem.format()
        assert "\n" not in line and "\x1b" not in line and "\x00" not in line, line
        assert problem.location is not None and problem.location.path, line
        assert len(line) <= 2100, line[:200]
