"""Secrets masked where they are secret, and nowhere else: plan output, saved plans, errors, progress lines."""

from __future__ import annotations

import json
from pathlib import Path

from support.emulated import deployment_yaml, live_deployments


def test_a_non_secret_variable_is_shown_in_every_format(run_cli, manifests, emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("TXT_VERSION", "v1")
    monkeypatch.setenv("STAGE", "prod")
    repo = manifests(deployment_yaml("media-${STAGE}", version="${TXT_VERSION}"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    emulator.register_workflow("wf-txt2img", "v2", json.loads((repo / "wf.json").read_text()))
    monkeypatch.setenv("TXT_VERSION", "v2")
    text = run_cli("--emulator", "plan", "-f", str(repo))
    assert '~ workflow_version: "v1" -> "v2"' in text.out, text
    assert "(sensitive value)" not in text.out
    markdown = run_cli("--emulator", "plan", "-f", str(repo), "--format", "markdown")
    assert '~ workflow_version: "v1" -> "v2"' in markdown.out
    plan = json.loads(run_cli("--emulator", "plan", "-f", str(repo), "--format", "json").out)
    (change,) = plan["changes"]
    assert change["name"] == "media-prod"
    assert change["diff"] == [{"field": "workflow_version", "before": "v1", "after": "v2", "sensitive": False}]


def test_a_secret_is_masked_but_the_live_value_is_shown(run_cli, manifests, emulator, monkeypatch):
    repo = manifests(deployment_yaml("alpha"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    monkeypatch.setenv("WF_SECRET", "wf-very-secret-id")
    repo = manifests(deployment_yaml("alpha", workflow_id="${WF_SECRET}"))
    result = run_cli("--emulator", "plan", "-f", str(repo), "--allow-replace")
    assert '~ workflow_id: "wf-txt2img" -> (sensitive value)' in result.out, result
    assert "wf-very-secret-id" not in result.out + result.err


def test_a_secret_quoted_by_an_api_error_is_scrubbed_everywhere(run_cli, manifests, emulator, monkeypatch):
    monkeypatch.setenv("WF_SECRET", "wf-very-secret-id")
    repo = manifests(deployment_yaml("alpha", workflow_id="${WF_SECRET}", workflow_file=False))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert result.code == 1, result
    assert "not found in this account" in result.out + result.err
    assert "wf-very-secret-id" not in result.out + result.err
    progress = [line for line in result.err.splitlines() if line.startswith("    alpha: failed")]
    assert progress and "not found in this account" in progress[0], result.err
    assert live_deployments(emulator) == []


def test_a_token_with_a_line_break_or_non_ascii_is_refused_up_front(run_cli, manifests, monkeypatch):
    repo = manifests(deployment_yaml("alpha"))
    for token, why in (("sk-abc\nsk-def-secret", "a line break"), ("sk-abcé-secret", "non-ASCII")):
        monkeypatch.setenv("RUNCOMFY_API_TOKEN", token)
        result = run_cli("--api-url", "http://127.0.0.1:9", "plan", "-f", str(repo))
        assert result.code == 1, result
        assert f"error: RUNCOMFY_API_TOKEN is not a valid API token: it contains {why}" in result.err
        assert "secret" not in result.err and "attempt" not in result.err


def test_a_changed_variable_is_named_in_the_stale_check_without_its_value(
    run_cli, manifests, emulator, monkeypatch, tmp_path
):
    monkeypatch.setenv("WARM_TOKEN", "1")
    monkeypatch.setenv("STAGE", "prod")
    repo = manifests(deployment_yaml("alpha-${STAGE}", extra="min_instances: ${WARM_TOKEN}\nmax_instances: 3"))
    plan_file = tmp_path / "plan.json"
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(plan_file)).code == 0
    monkeypatch.setenv("WARM_TOKEN", "2")
    result = run_cli("--emulator", "apply", str(plan_file))
    assert result.code == 1
    assert "error: plan is stale: environment variable WARM_TOKEN changed since the plan was made" in result.err
    assert "manifests changed" not in result.err
    assert "WARM_TOKEN" not in plan_file.read_text().replace('"WARM_TOKEN": "sha256:', "")
    assert live_deployments(emulator) == []


def test_a_secret_override_checked_against_the_deployed_graph_stays_masked(
    run_cli, manifests, emulator, monkeypatch
):
    graph = json.loads((Path(__file__).parents[1] / "data" / "workflows"
                        / "SaladTechnologies__comfyui-api__sdxl-img2img.json").read_text())
    emulator.register_workflow("wf-img", "v1", graph)
    plain = deployment_yaml("img", workflow_id="wf-img", workflow_file=False)
    assert run_cli("--emulator", "apply", "-f", str(manifests(plain)), "--auto-approve").code == 0
    monkeypatch.setenv("PRIVATE_IMAGE", "family-photo-private.png")
    repo = manifests(deployment_yaml("img", workflow_id="wf-img", workflow_file=False,
                                     extra='smoke:\n  overrides:\n    "38": {inputs: {image: "${PRIVATE_IMAGE}"}}'))
    result = run_cli("--emulator", "plan", "-f", str(repo))
    assert "is a file name" in result.err, result
    assert "family-photo-private.png" not in result.out + result.err


def test_a_saved_plan_holds_no_secret_even_in_its_warnings(run_cli, manifests, monkeypatch, tmp_path):
    monkeypatch.setenv("GPU", "ADA_80_PLUS")
    repo = manifests(deployment_yaml("alpha", extra="hardware: ${secret:GPU}\nmin_instances: 1\nmax_instances: 2"))
    plan_file = tmp_path / "plan.json"
    result = run_cli("--emulator", "plan", "-f", str(repo), "--out", str(plan_file))
    assert result.code == 0, result
    assert "warm instances are billed while idle" in result.out
    assert "ADA_80_PLUS" not in result.out + result.err + plan_file.read_text()
