"""A corrupt emulator ``state.json`` is one clean error naming the file and how to start over (issue 19 §4)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from support.emulated import deployment_yaml


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{"deployments": {', "not readable JSON"),
        ("[" * 100_000, "not readable JSON (nested too deeply)"),
        ("[1, 2]", "not a JSON object"),
        ('{"deployments": []}', "'deployments' is not a JSON object"),
        ("\udcff", "not readable JSON"),
    ],
)
def test_a_corrupt_state_file_is_one_line_and_reset_clears_it(run_cli: Any, manifests: Any, content: str,
                                                                why: str) -> None:
    state = Path(os.environ["COMFYOPS_EMULATOR_STATE"])
    repo = manifests(deployment_yaml("t2i"))
    (state / "state.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    result = run_cli("--emulator", "plan", "-f", str(repo))
    assert result.code == 1, result
    first = result.err.splitlines()[0]
    assert first.startswith(f"error: the emulator state {state / 'state.json'}: ") and why in first, result.err
    assert "Traceback" not in result.err
    reset = run_cli("emulator", "reset")
    assert reset.code == 0 and "removed the unreadable state" in reset.out
    assert run_cli("--emulator", "plan", "-f", str(repo)).code == 0
