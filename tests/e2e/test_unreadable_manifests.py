"""A manifest folder that cannot be read is an error and no plan is made: never a prune delete.

Run as a user without root's read-anything capabilities: CI runs as root, so the commands run under
``setpriv --bounding-set=-dac_override,-dac_read_search`` there (skipped where setpriv is missing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from e2e.test_emulator_serve import comfyops

SETTINGS = "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  prune: {enabled: true, match: ['*']}\n"
DEPLOYMENT = (
    "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {{name: {name}}}\n"
    "spec: {{workflow_id: wf-1, workflow_version: v1, workflow_file: {workflow}}}\n"
)
WORKFLOW = Path(__file__).parents[1] / "data" / "workflows" / "txt2img.json"


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop the capability to read anything")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [*_unprivileged(), *comfyops(), "--emulator", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "team-b").mkdir(parents=True)
    (root / "settings.yaml").write_text(SETTINGS)
    shutil.copy(WORKFLOW, root / "wf.json")
    (root / "a.yaml").write_text(DEPLOYMENT.format(name="a", workflow="wf.json"))
    (root / "team-b" / "b.yaml").write_text(DEPLOYMENT.format(name="b", workflow="../wf.json"))
    applied = _run(root, "apply", "-f", ".", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    return root


def test_an_unreadable_folder_is_an_error_not_a_delete(repo: Path) -> None:
    (repo / "team-b").chmod(0)
    try:
        planned = _run(repo, "plan", "-f", ".")
        applied = _run(repo, "apply", "-f", ".", "--auto-approve")
    finally:
        (repo / "team-b").chmod(0o755)
    for result in (planned, applied):
        assert result.returncode == 1, result
        assert "team-b: cannot read folder: permission denied" in result.stderr
        assert "delete" not in result.stdout + result.stderr
    after = _run(repo, "plan", "-f", ".", "--detailed-exitcode")
    assert after.returncode == 0, after  # b is still live: nothing was deleted


def test_an_unreadable_file_is_an_error_not_a_delete(repo: Path) -> None:
    (repo / "team-b" / "b.yaml").chmod(0)
    try:
        planned = _run(repo, "plan", "-f", ".")
    finally:
        (repo / "team-b" / "b.yaml").chmod(0o644)
    assert planned.returncode == 1, planned
    assert "team-b/b.yaml: cannot read file: permission denied" in planned.stderr
    assert "delete" not in planned.stdout
