"""Commands agree with each other: the rough edges a new user hit (issue 8 §4), end to end on the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.emulated import deployment_yaml, live_deployments


def test_plan_refuses_a_target_that_matches_no_declared_deployment(run_cli: Any, manifests: Any) -> None:
    repo = manifests(deployment_yaml("media-img"), deployment_yaml("txt"))
    result = run_cli("--emulator", "plan", "-f", str(repo), "--target", "media-imgg")
    assert result.code == 1, result
    assert "--target: 'media-imgg' matches no declared deployment (hint: did you mean 'media-img'?)" in result.err
    assert "No changes" not in result.out


def test_apply_refuses_a_target_that_matches_nothing_and_changes_nothing(
    run_cli: Any, manifests: Any, emulator: Any
) -> None:
    repo = manifests(deployment_yaml("media-img"), deployment_yaml("txt"))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--target", "txt", "--target", "x*")
    assert result.code == 1, result
    assert "--target: 'x*' matches no declared deployment (hint: declared: media-img, txt)" in result.err
    assert live_deployments(emulator) == []


def test_a_matching_target_still_plans_just_that_deployment(run_cli: Any, manifests: Any) -> None:
    repo = manifests(deployment_yaml("media-img"), deployment_yaml("txt"))
    result = run_cli("--emulator", "plan", "-f", str(repo), "--target", "media-*")
    assert result.code == 0, result
    assert "media-img" in result.out and "+ txt" not in result.out


def test_a_global_option_after_the_command_gets_a_hint_to_move_it(run_cli: Any, manifests: Any) -> None:
    repo = manifests(deployment_yaml("alpha"))
    result = run_cli("plan", "-f", str(repo), "--emulator")
    assert result.code == 1, result
    assert "No such option '--emulator'" in result.err
    assert (f"hint: --emulator is a global option and goes before the command: comfyops --emulator plan -f {repo}"
            in result.err)


def test_a_global_option_with_a_value_after_the_command_is_moved_with_its_value(run_cli: Any) -> None:
    result = run_cli("validate", "--api-url=http://127.0.0.1:9", "-f", "x")
    assert result.code == 1, result
    assert ("hint: --api-url is a global option and goes before the command: "
            "comfyops --api-url=http://127.0.0.1:9 validate -f x") in result.err


def test_follow_up_hints_include_the_global_options_in_use(
    run_cli: Any, manifests: Any, emulator: Any, tmp_path: Path
) -> None:
    repo = manifests(deployment_yaml("alpha"))
    out = tmp_path / "p.json"
    planned = run_cli("--emulator", "plan", "-f", str(repo), "--out", str(out))
    assert f"apply it with: comfyops --emulator apply {out}" in planned.err
    not_deployed = run_cli("--emulator", "run", "alpha", "-f", str(repo))
    assert not_deployed.code == 1
    assert f"run `comfyops --emulator apply -f {repo}` first" in not_deployed.err
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    stale = run_cli("--emulator", "apply", str(out))
    assert stale.code == 1
    assert "re-run `comfyops --emulator plan --out FILE -f " in stale.err


def test_follow_up_hints_name_the_api_url_in_use(run_cli: Any, tmp_path: Path) -> None:
    (tmp_path / "not-a-plan.json").write_text("{}")
    missing = run_cli("--api-url", "http://127.0.0.1:9", "show", str(tmp_path / "not-a-plan.json"))
    assert missing.code == 1
    assert "`comfyops --api-url http://127.0.0.1:9 plan --out FILE`" in missing.err


def test_a_target_beside_a_saved_plan_is_refused_not_ignored(
    run_cli: Any, manifests: Any, emulator: Any, tmp_path: Path
) -> None:
    repo = manifests(deployment_yaml("alpha"), deployment_yaml("beta"))
    out = tmp_path / "p.json"
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(out)).code == 0
    result = run_cli("--emulator", "apply", str(out), "--target", "alpha")
    assert result.code == 1, result
    assert "--target cannot be combined with a saved plan" in result.err
    assert live_deployments(emulator) == []


def test_plan_status_and_drift_list_names_in_natural_order(run_cli: Any, manifests: Any, emulator: Any) -> None:
    names = ["load-10", "load-2", "load-1"]
    repo = manifests(*(deployment_yaml(n) for n in names))
    planned = run_cli("--emulator", "plan", "-f", str(repo))
    assert planned.code == 0, planned
    positions = [planned.out.index(f"+ {n}") for n in ("load-1", "load-2", "load-10")]
    assert positions == sorted(positions), planned.out
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    status = run_cli("--emulator", "status", "-f", str(repo))
    rows = [line.split()[0] for line in status.out.splitlines() if line.startswith("load-")]
    assert rows == ["load-1", "load-2", "load-10"], status.out


def test_unmanaged_deployments_are_counted_unless_asked_and_json_keeps_them(
    run_cli: Any, manifests: Any, emulator: Any
) -> None:
    other = manifests(deployment_yaml("team-b-1"), deployment_yaml("team-b-2"))
    assert run_cli("--emulator", "apply", "-f", str(other), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("mine"))
    planned = run_cli("--emulator", "plan", "-f", str(repo))
    assert planned.code == 0, planned
    assert "2 unmanaged deployments (not managed by these manifests; left alone); --show-unmanaged lists them." \
        in planned.out
    assert "team-b-1" not in planned.out
    listed = run_cli("--emulator", "plan", "-f", str(repo), "--show-unmanaged")
    assert "  ? team-b-1 (" in listed.out and "  ? team-b-2 (" in listed.out
    as_json = run_cli("--emulator", "plan", "-f", str(repo), "--format", "json")
    import json

    assert [u["name"] for u in json.loads(as_json.out)["unmanaged"]] == ["team-b-1", "team-b-2"]
