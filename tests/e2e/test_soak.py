"""The apply soak, short: 20 randomised apply runs under injected faults converge every time, with no
duplicate and no lost update. The 200-run soak is ``tests/bench/test_soak_bench.py``."""

from __future__ import annotations

from pathlib import Path

from reconciler.emulator.embedded import EmbeddedEmulator
from support.soak import soak


def test_twenty_randomised_apply_runs_under_faults_converge(tmp_path: Path, emulator: EmbeddedEmulator) -> None:
    result = soak(tmp_path / "soak", emulator, runs=20)
    assert result.problems == [], f"seed {result.seed}: {result.problems}"
    assert (result.runs, result.duplicates, result.lost_updates) == (20, 0, 0)
