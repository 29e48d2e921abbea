"""The 200-run apply soak (about a minute): see ``tests/support/soak.py``. Run with
``python -m pytest tests/bench/test_soak_bench.py -m bench -s``; ``COMFYOPS_SOAK_SEED`` replays one."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from support.soak import soak

pytestmark = pytest.mark.bench


def test_two_hundred_randomised_apply_runs_under_faults(tmp_path: Path) -> None:
    with EmbeddedEmulator(tmp_path / "state") as emulator:
        emulator.configure(rate_limit_enabled=False)
        result = soak(tmp_path / "soak", emulator, runs=200)
    print(f"soak: {result.runs} runs in {result.seconds:.1f}s, {result.reapplied} needed a re-apply, "
          f"{result.duplicates} duplicates, {result.lost_updates} lost updates")
    assert result.problems == [], f"seed {result.seed}: {result.problems}"
    assert (result.duplicates, result.lost_updates) == (0, 0)
    assert result.seconds < 300
