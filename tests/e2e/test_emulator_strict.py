"""The embedded emulator is as strict as the API (issue 8 §7): plan writes nothing, only saved workflow
versions can be deployed, apply says which workflow files it registered, versions are listed so the
"workflow_version unknown" warning fires, and ``emulator serve`` can require a token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from support.emulated import deployment_yaml, live_deployments


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_never_writes_emulator_state(run_cli: Any, manifests: Any, state_dir: Path) -> None:
    repo = manifests(deployment_yaml("alpha"))
    before = _files(state_dir)
    result = run_cli("--emulator", "plan", "-f", str(repo))
    assert result.code == 0, result
    assert _files(state_dir) == before


def test_plan_on_a_fresh_emulator_creates_no_state_folder(run_cli: Any, manifests: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo = manifests(deployment_yaml("alpha"))
    fresh = tmp_path / "fresh-state"
    monkeypatch.setenv("COMFYOPS_EMULATOR_STATE", str(fresh))
    assert run_cli("--emulator", "plan", "-f", str(repo)).code == 0
    assert not fresh.exists()


def test_apply_says_which_workflow_files_it_registered(run_cli: Any, manifests: Any, emulator: Any) -> None:
    repo = manifests(deployment_yaml("alpha"))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert result.code == 0, result
    assert "repo/wf.json as workflow 'wf-txt2img' version 'v1'\n" in result.err
    assert "emulator: registered " in result.err
    assert "the real API serves only workflow versions saved in your RunComfy account" in result.err
    again = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert "emulator: registered" not in again.err


def test_a_version_no_saved_workflow_provides_fails_the_plan_and_apply_before_any_change(
    run_cli: Any, manifests: Any, emulator: Any
) -> None:
    repo = manifests(deployment_yaml("alpha"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("alpha", version="v9", workflow_file=False))
    planned = run_cli("--emulator", "plan", "-f", str(repo))
    assert planned.code == 1, planned
    assert ("spec.workflow_version: workflow_version 'v9' is not among the workflow's saved versions (v1); the API "
            "would refuse the change (hint: save that version of the workflow in RunComfy first, or use one of: v1)"
            in planned.err)
    applied = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert applied.code == 1, applied
    assert "is not among the workflow's saved versions" in applied.err
    assert "422001" not in applied.out  # refused by the plan, never sent
    assert live_deployments(emulator)[0]["workflow_version"] == "v1"
    drift = run_cli("--emulator", "drift", "-f", str(repo))
    assert drift.code == 2, drift  # read-only: reports the difference, does not refuse


def test_a_new_deployment_of_an_unsaved_workflow_is_refused(run_cli: Any, manifests: Any, emulator: Any) -> None:
    repo = manifests(deployment_yaml("alpha", workflow_id="wf-nowhere", workflow_file=False))
    applied = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert applied.code == 1, applied
    assert "422001 validation error" in applied.out
    assert live_deployments(emulator) == []


def test_serve_can_require_a_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    from reconciler.cli.emulator import command

    served: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, **_: served.append(server.config.app))
    by_flag = CliRunner().invoke(command, ["serve", "--state", str(tmp_path / "s"), "--token", "s3cret-flag"])
    assert by_flag.exit_code == 0, by_flag.output
    assert served[-1].required_token == "s3cret-flag"
    assert "s3cret-flag" not in by_flag.output
    assert "requires the Bearer token given with --token" in by_flag.output
    by_env = CliRunner().invoke(command, ["serve", "--state", str(tmp_path / "s")],
                                env={"COMFYOPS_EMULATOR_TOKEN": "s3cret-env"})
    assert by_env.exit_code == 0, by_env.output
    assert served[-1].required_token == "s3cret-env"
    open_one = CliRunner().invoke(command, ["serve", "--state", str(tmp_path / "s")],
                                  env={"COMFYOPS_EMULATOR_TOKEN": ""})
    assert served[-1].required_token is None and "accepts any Bearer token" in open_one.output


def test_a_wrong_token_is_refused_by_a_token_pinned_emulator(tmp_path: Path) -> None:
    import httpx

    from reconciler.emulator.embedded import EmbeddedEmulator

    with EmbeddedEmulator(tmp_path / "s", required_token="right") as emu:
        url = f"{emu.base_url}/prod/v2/deployments"
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer right"}).status_code == 200
