"""Issue 19 §3: a file ComfyOps writes is never written through a link (ARCHITECTURE §8).

A link committed in a pull request runs on the CI machine that applies. For each write site a symlink to
a victim file is planted where ComfyOps would write; the command exits 1 with one line naming the path,
and the victim is byte-identical afterwards (and the link is still there: refused, not silently replaced).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import workspace
from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.emulator.state import EmulatorState
from support.emulated import DATA, FAST_SETTINGS, deployment_yaml, live_deployments
from support.links import VICTIM_BYTES, plant

SMOKED = FAST_SETTINGS + """---
apiVersion: comfyops/v1
kind: Deployment
metadata: {name: t2i}
spec: {workflow_id: wf-txt2img, workflow_version: v1, workflow_file: wf.json,
       smoke: {expect: {outputs: {"9": {images: {count: 1, format: png}}}}}}
"""


def _refused(result: Any, link: Path, victim: Path) -> None:
    assert result.code == 1, result
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and link.name in errors[0] and "link" in errors[0], result.err
    assert "Traceback" not in result.err
    assert victim.read_bytes() == VICTIM_BYTES
    assert link.is_symlink()


@pytest.fixture
def repo(manifests: Any) -> Path:
    root: Path = manifests(deployment_yaml("alpha"))
    return root


def test_plan_out_onto_a_link_is_refused(run_cli: Any, repo: Path, tmp_path: Path) -> None:
    link = tmp_path / "plan.json"
    victim = plant(link, tmp_path)
    _refused(run_cli("--emulator", "plan", "-f", str(repo), "--out", str(link)), link, victim)


def test_a_linked_apply_lock_is_refused_and_its_target_not_truncated(
    run_cli: Any, repo: Path, tmp_path: Path, emulator: EmbeddedEmulator
) -> None:
    link = workspace.apply_lock(workspace.start_folder([repo]))
    victim = plant(link, tmp_path)
    _refused(run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve"), link, victim)
    assert live_deployments(emulator) == []  # nothing was applied without the lock


def test_a_linked_apply_journal_is_refused(
    run_cli: Any, repo: Path, tmp_path: Path, emulator: EmbeddedEmulator
) -> None:
    link = workspace.apply_journal(workspace.start_folder([repo]))
    victim = plant(link, tmp_path)
    victim.write_text('{"format_version": 1, "entries": []}')  # readable as a journal, so the write is reached
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke")
    assert victim.read_text() == '{"format_version": 1, "entries": []}'
    assert link.is_symlink()
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert result.code == 1 and len(errors) == 1 and link.name in errors[0] and "link" in errors[0], result
    assert live_deployments(emulator) == []  # refused before the first change
    assert live_deployments(emulator) == []  # refused before the first change


def test_the_history_is_never_appended_through_a_link(
    run_cli: Any, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    link = tmp_path / "linked-history.jsonl"
    victim = plant(link, tmp_path)
    monkeypatch.setenv(workspace.HISTORY_ENV, str(link))
    result = run_cli("--emulator", "run", "alpha", "-f", str(repo))
    # the request is live by then (its id is printed), so a history that cannot be written is a warning
    # naming the link, not a failure of the run; the victim is untouched either way
    assert result.code == 0 and "Submitted request" in result.out, result
    warnings = [line for line in result.err.splitlines() if link.name in line]
    assert len(warnings) == 1 and "symbolic link" in warnings[0], result.err
    assert victim.read_bytes() == VICTIM_BYTES and link.is_symlink()


def test_import_out_onto_a_link_is_refused(
    run_cli: Any, tmp_path: Path, emulator: EmbeddedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    emulator.register_workflow("wf-txt2img", "v1", json.loads((DATA / "workflows" / "txt2img.json").read_text()))
    httpx.post(f"{emulator.base_url}/prod/v2/deployments", headers={"Authorization": "Bearer x"},
               json={"name": "media-x", "workflow_id": "wf-txt2img", "workflow_version": "v1",
                     "hardware": ["AMPERE_48"]}).raise_for_status()
    link = tmp_path / "deployments" / "media-x.yaml"
    victim = plant(link, tmp_path)
    _refused(run_cli("--emulator", "import", "--all", "--out", "deployments", "--force"), link, victim)


def test_smoke_junit_onto_a_link_is_refused(run_cli: Any, write_files: Any, tmp_path: Path, state_dir: Path) -> None:
    root: Path = write_files({"manifests.yaml": SMOKED})
    shutil.copy(DATA / "workflows" / "txt2img.json", root / "wf.json")
    assert run_cli("--emulator", "apply", "-f", str(root), "--auto-approve").code == 0
    link = tmp_path / "junit.xml"
    victim = plant(link, tmp_path)
    _refused(run_cli("--emulator", "smoke", "-f", str(root), "--junit", str(link)), link, victim)


def test_reconcile_metrics_file_onto_a_link_is_refused(run_cli: Any, repo: Path, tmp_path: Path) -> None:
    link = tmp_path / "comfyops.prom"
    victim = plant(link, tmp_path)
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    result = run_cli("--emulator", "reconcile", "-f", str(repo), "--metrics-file", str(link))
    assert victim.read_bytes() == VICTIM_BYTES and link.is_symlink()
    # metrics are a side channel of a pass (and of --watch, which must keep running): a warning naming the
    # link, the pass's own exit code unchanged
    warnings = [line for line in result.err.splitlines() if link.name in line]
    assert len(warnings) == 1 and "symbolic link" in warnings[0] and "Traceback" not in result.err, result


def test_a_linked_pause_file_is_refused(run_cli: Any, repo: Path, tmp_path: Path) -> None:
    link = repo / "comfyops-pause.json"
    victim = plant(link, tmp_path)
    result = run_cli("reconcile", "pause", "-f", str(repo), "--reason", "freeze")
    assert result.code == 1 and victim.read_bytes() == VICTIM_BYTES and link.is_symlink(), result
    assert "Traceback" not in result.err


def test_schema_out_onto_a_link_is_refused(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    first = run_cli("schema", "--out", str(out))
    assert first.code == 0, first
    name = sorted(out.iterdir())[0].name
    (out / name).unlink()
    link = out / name
    victim = plant(link, tmp_path)
    _refused(run_cli("schema", "--out", str(out)), link, victim)


def test_run_outputs_never_land_through_a_planted_link(
    run_cli: Any, repo: Path, tmp_path: Path, state: EmulatorState
) -> None:
    state.configure(queue_seconds=0, run_seconds=0)
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    out = tmp_path / "out"
    victim = plant(out / "ComfyUI_9_00001_.png", tmp_path)
    result = run_cli("--emulator", "run", "alpha", "-f", str(repo), "--wait", "--out", str(out))
    assert result.code == 0, result
    assert victim.read_bytes() == VICTIM_BYTES  # the output got another name beside the link
    assert [p.name for p in sorted(out.iterdir()) if not p.is_symlink()] == ["ComfyUI_9_00001__2.png"] or len(
        [p for p in out.iterdir() if not p.is_symlink()]
    ) == 1


def test_the_emulator_state_is_never_written_through_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "emulator"
    folder.mkdir()
    link = folder / "state.json"
    victim = plant(link, tmp_path)
    victim.write_text("{}")  # readable as a state, so the write is reached
    with pytest.raises(workspace.UnsafePath, match=r"state\.json: it is a symbolic link"):
        EmulatorState(folder).configure(queue_seconds=0)
    assert victim.read_text() == "{}" and link.is_symlink()


def test_snapshot_out_onto_a_link_is_refused(run_cli: Any, repo: Path, tmp_path: Path) -> None:
    link = tmp_path / "live.json"
    victim = plant(link, tmp_path)
    _refused(run_cli("--emulator", "snapshot", "-f", str(repo), "--out", str(link)), link, victim)
