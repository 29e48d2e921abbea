"""End-to-end fixtures: the CLI with ``--emulator`` (a loopback HTTP server per command) on a per-test state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.emulator.state import EmulatorState
from support.emulated import DATA, FAST_SETTINGS


@pytest.fixture
def state_dir() -> Path:
    """The emulator state every ``--emulator`` command of this test shares, without its rate limit."""
    path = Path(os.environ["COMFYOPS_EMULATOR_STATE"])
    EmulatorState(path).configure(rate_limit_enabled=False, queue_seconds=0, run_seconds=0.2)
    return path


@pytest.fixture
def state(state_dir: Path) -> EmulatorState:
    """The same emulator state, for tests that arrange or inspect it directly (workflows, requests)."""
    return EmulatorState(state_dir)


@pytest.fixture
def emulator(state_dir: Path) -> Iterator[EmbeddedEmulator]:
    """A second view of the same emulator state, for arranging and inspecting live deployments."""
    with EmbeddedEmulator(state_dir) as emu:
        yield emu


@pytest.fixture
def manifests(tmp_path: Path, state_dir: Path) -> Any:
    """Write a manifest repository (with the test workflow and fast client settings); returns its path."""
    root = tmp_path / "repo"

    def write(*documents: str, settings: str = FAST_SETTINGS) -> Path:
        root.mkdir(exist_ok=True)
        for old in root.glob("*.yaml"):
            old.unlink()
        (root / "wf.json").write_text((DATA / "workflows" / "txt2img.json").read_text())
        (root / "settings.yaml").write_text(settings)
        (root / "deployments.yaml").write_text("---\n".join(documents))
        return root

    return write


