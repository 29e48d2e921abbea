"""A saved plan is applied exactly as reviewed: an edited plan file is refused by show and apply."""

from __future__ import annotations

import json
from pathlib import Path

from support.emulated import deployment_yaml, live_deployments


def _saved_update(run_cli, manifests, emulator, tmp_path: Path) -> Path:
    repo = manifests(deployment_yaml("alpha", extra="max_instances: 4"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("alpha", extra="max_instances: 5"))
    plan_file = tmp_path / "plan.json"
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(plan_file)).code == 0
    return plan_file


def test_a_hand_edited_plan_is_refused_by_show_and_apply_and_changes_nothing(
    run_cli, manifests, emulator, tmp_path
):
    plan_file = _saved_update(run_cli, manifests, emulator, tmp_path)
    data = json.loads(plan_file.read_text())
    data["changes"][0]["after"]["max_instances"] = 30
    plan_file.write_text(json.dumps(data, indent=2))
    shown = run_cli("show", str(plan_file))
    assert shown.code == 1, shown
    assert "the plan file was modified after it was written" in shown.err
    assert len(shown.err.strip().splitlines()) <= 2
    applied = run_cli("--emulator", "apply", str(plan_file))
    assert applied.code == 1, applied
    assert "the plan file was modified after it was written" in applied.err
    assert live_deployments(emulator)[0]["max_instances"] == 4


def test_a_plan_whose_parts_disagree_is_refused_even_with_a_recomputed_checksum(
    run_cli, manifests, emulator, tmp_path
):
    from reconciler.engine.plan import Plan

    plan_file = _saved_update(run_cli, manifests, emulator, tmp_path)
    data = json.loads(plan_file.read_text())
    data["changes"][0]["after"]["max_instances"] = 30
    data["checksum"] = Plan.from_dict(data).checksum()
    plan_file.write_text(json.dumps(data, indent=2))
    for args in (("show", str(plan_file)), ("--emulator", "apply", str(plan_file))):
        result = run_cli(*args)
        assert result.code == 1, result
        assert "alpha: after.max_instances is 30 but the diff says 5" in result.err
    assert live_deployments(emulator)[0]["max_instances"] == 4


def test_reformatting_a_plan_file_is_not_a_modification(run_cli, manifests, emulator, tmp_path):
    plan_file = _saved_update(run_cli, manifests, emulator, tmp_path)
    plan_file.write_text(json.dumps(json.loads(plan_file.read_text()), separators=(",", ":")))
    assert run_cli("show", str(plan_file)).code == 0
    applied = run_cli("--emulator", "apply", str(plan_file))
    assert applied.code == 0, applied
    assert live_deployments(emulator)[0]["max_instances"] == 5


def test_a_plan_file_without_its_checksum_is_refused(run_cli, manifests, emulator, tmp_path):
    plan_file = _saved_update(run_cli, manifests, emulator, tmp_path)
    data = json.loads(plan_file.read_text())
    del data["checksum"]
    plan_file.write_text(json.dumps(data))
    result = run_cli("show", str(plan_file))
    assert result.code == 1
    assert "has no checksum" in result.err
