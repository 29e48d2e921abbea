"""The hostile-input corpus (``corpus.py``): every case ends in time, within memory, with its exact lines.

All cases run in one child process (``runner.py``) under an address-space limit of
:data:`MEMORY_LIMIT`; each asserts its exit code and the problem lines on stderr. Time is not asserted
with a wall clock (a loaded machine made the old 5 s and 20 s bounds fail for reasons outside the
product): the runner's alarm turns a hang into the outcome ``hung``, which fails the exit-code check,
and speed targets live in ``tests/bench`` as ratios to a floor measured in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hostile.corpus import CASES, INVALID, Case

HERE = Path(__file__).parent
MEMORY_LIMIT = 1536 * 1024 * 1024
"""Address space for the child (the interpreter and its libraries take a few hundred MB of it)."""


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, str(HERE / "runner.py"), str(MEMORY_LIMIT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            item = json.loads(line)
            found[item["name"]] = item
    assert found, f"the corpus runner printed nothing (exit {result.returncode}): {result.stderr[-3000:]}"
    return found


def _problem_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith(INVALID)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_ends_with_its_exact_lines(case: Case, outcomes: dict[str, dict[str, Any]]) -> None:
    got = outcomes.get(case.name)
    assert got is not None, f"{case.name} did not report (the runner died before it)"
    assert got["code"] == case.code, got
    assert "Traceback" not in got["err"]
    lines = _problem_lines(got["err"])
    if case.contains:
        assert len(lines) == 1, lines
        assert all(part in lines[0] for part in case.contains), lines
    else:
        assert lines == list(case.lines)
    if case.code == 1:
        assert got["err"].splitlines()[-1].startswith(INVALID)
    assert all(ch >= " " for line in lines for ch in line), "a control character reached the terminal"


def test_corpus_outcome_counts(outcomes: dict[str, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    counts = Counter(str(o["code"]) for o in outcomes.values())
    with capsys.disabled():
        print(f"\nhostile corpus: {len(CASES)} cases; exit codes {dict(sorted(counts.items()))}")
    assert len(outcomes) == len(CASES)
    assert set(counts) <= {"0", "1"}, counts
