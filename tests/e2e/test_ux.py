"""Commands agree with each other: the rough edges a new user hit (issue 8 §4), end to end on the emulator."""

from __future__ import annotations

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
