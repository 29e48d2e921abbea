"""Environments and policies end to end: the CLI against the emulator (one shared account)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from support.emulated import DATA, deployment_yaml, live_deployments

SETTINGS = """\
apiVersion: comfyops/v1
kind: Settings
spec:
  rate_limit: {requests_per_second: 100, burst: 100}
  prune: {enabled: true, match: ["media-*"], action: delete}
"""

ENVIRONMENTS = """\
apiVersion: comfyops/v1
kind: Environment
metadata:
  name: staging
spec:
  name_suffix: "-staging"
---
apiVersion: comfyops/v1
kind: Environment
metadata:
  name: prod
spec:
  name_suffix: "-prod"
  settings:
    policy: {paths: [policies/]}
  patches:
    - match: "*"
      spec: {min_instances: 1, hardware: HOPPER_141}
"""

POLICY = """\
package main
import rego.v1

deny contains msg if {
  input.environment == "prod"
  some c in input.changes
  c.action != "delete"
  c.after.hardware == "HOPPER_141"
  msg := sprintf("%s: HOPPER_141 needs a budget approval", [c.name])
}

warn contains msg if {
  some c in input.changes
  c.action == "create"
  msg := sprintf("%s is new", [c.name])
}
"""

MUTATING = re.compile(r"^INFO reconciler\S*: (POST|PATCH|DELETE) ", re.MULTILINE)


def write_repo(root: Path, *names: str, environments: str = ENVIRONMENTS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "wf.json").write_text((DATA / "workflows" / "txt2img.json").read_text())
    (root / "settings.yaml").write_text(SETTINGS)
    (root / "deployments.yaml").write_text("---\n".join(deployment_yaml(n) for n in names))
    (root / "environments.yaml").write_text(environments)
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "budget.rego").write_text(POLICY)
    return root


def test_staging_never_prunes_prod_in_a_shared_account(run_cli, tmp_path, emulator):
    repo = write_repo(tmp_path / "repo", "media-a", "media-b", environments=ENVIRONMENTS.replace(
        "spec: {min_instances: 1, hardware: HOPPER_141}", "spec: {min_instances: 0}"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--env", "prod", "--auto-approve").code == 0
    assert run_cli("--emulator", "apply", "-f", str(repo), "--env", "staging", "--auto-approve").code == 0
    # staging drops media-b: its prune removes media-b-staging, and nothing of prod's
    write_repo(repo, "media-a", environments=ENVIRONMENTS.replace(
        "spec: {min_instances: 1, hardware: HOPPER_141}", "spec: {min_instances: 0}"))
    plan = run_cli("--emulator", "plan", "-f", str(repo), "--env", "staging", "--format", "json")
    assert plan.code == 0, plan
    data = json.loads(plan.out)
    assert data["environment"] == "staging"
    assert [(c["name"], c["action"]) for c in data["changes"] if c["action"] != "noop"] == [
        ("media-b-staging", "delete")]
    assert sorted(u["name"] for u in data["unmanaged"]) == ["media-a-prod", "media-b-prod"]
    assert run_cli("--emulator", "apply", "-f", str(repo), "--env", "staging", "--auto-approve").code == 0
    assert [d["name"] for d in live_deployments(emulator)] == ["media-a-prod", "media-a-staging", "media-b-prod"]


def test_a_denied_plan_exits_1_and_apply_refuses_before_any_call(run_cli, tmp_path, emulator):
    repo = write_repo(tmp_path / "repo", "media-a")
    plan = run_cli("--emulator", "plan", "-f", str(repo), "--env", "prod")
    assert plan.code == 1, plan
    assert plan.out.startswith("Environment: prod\n")
    assert ("Policy:\n  x deny: media-a-prod: HOPPER_141 needs a budget approval (main)\n"
            "  ! warn: media-a-prod is new (main)\n"
            "  Policy failed: 1 denied, 1 warning (1 file, namespace main).\n") in plan.out
    assert plan.out.endswith("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.\n"
                             "Monthly cost of warm instances: +$6,387.50\n")

    as_json = run_cli("--emulator", "plan", "-f", str(repo), "--env", "prod", "--format", "json")
    assert as_json.code == 1
    policy = json.loads(as_json.out)["policy"]
    assert policy["denials"] == [{"namespace": "main", "rule": "deny", "details": None,
                                  "message": "media-a-prod: HOPPER_141 needs a budget approval"}]
    markdown = run_cli("--emulator", "plan", "-f", str(repo), "--env", "prod", "--format", "markdown")
    assert markdown.out.splitlines()[2] == "## ComfyOps plan: prod"
    assert "> **Policy failed: 1 denied, 1 warning (1 file, namespace main).**" in markdown.out

    apply = run_cli("-v", "--emulator", "apply", "-f", str(repo), "--env", "prod", "--auto-approve")
    assert apply.code == 1
    assert "error: refusing to apply: the plan is denied by 1 policy" in apply.err
    assert "  deny: media-a-prod: HOPPER_141 needs a budget approval (main)" in apply.err
    assert MUTATING.findall(apply.err) == []
    assert live_deployments(emulator) == []


def test_a_saved_plan_is_for_its_environment_only(run_cli, tmp_path, emulator):
    repo = write_repo(tmp_path / "repo", "media-a")
    plan_file = tmp_path / "staging.plan.json"
    assert run_cli("--emulator", "plan", "-f", str(repo), "--env", "staging", "--out", str(plan_file)).code == 0
    assert json.loads(plan_file.read_text())["environment"] == "staging"
    refused = run_cli("--emulator", "apply", str(plan_file), "--env", "prod")
    assert refused.code == 1
    assert refused.err.splitlines()[0] == (
        f"error: {plan_file}: the plan was made for environment 'staging', not for --env prod")
    assert run_cli("show", str(plan_file), "--env", "prod").code == 1
    assert live_deployments(emulator) == []
    applied = run_cli("--emulator", "apply", str(plan_file))
    assert applied.code == 0, applied
    assert [d["name"] for d in live_deployments(emulator)] == ["media-a-staging"]


def test_a_saved_denied_plan_is_refused(run_cli, tmp_path, emulator):
    repo = write_repo(tmp_path / "repo", "media-a")
    plan_file = tmp_path / "prod.plan.json"
    assert run_cli("--emulator", "plan", "-f", str(repo), "--env", "prod", "--out", str(plan_file)).code == 1
    shown = run_cli("show", str(plan_file))
    assert "Policy failed: 1 denied" in shown.out
    refused = run_cli("-v", "--emulator", "apply", str(plan_file))
    assert refused.code == 1
    assert "refusing to apply: the plan is denied by 1 policy" in refused.err
    assert MUTATING.findall(refused.err) == []
    assert live_deployments(emulator) == []


def test_a_policy_syntax_error_fails_the_plan_with_file_and_line(run_cli, tmp_path):
    repo = write_repo(tmp_path / "repo", "media-a")
    broken = "package main\nimport rego.v1\ndeny contains msg if {\n  msg := \"a\n}\n"
    (repo / "policies" / "budget.rego").write_text(broken)
    result = run_cli("--emulator", "plan", "-f", ".", "--env", "prod", cwd=repo)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.splitlines() == [
        "policies/budget.rego:4:7: rego: Invalid assignment operator",
        "error: policy check failed: 1 error",
    ]


def test_policies_never_see_secrets(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("OWNER_TOKEN", "sk-owner-123456")
    repo = write_repo(tmp_path / "repo", "media-a")
    deployments = repo / "deployments.yaml"
    deployments.write_text(deployments.read_text().replace(
        "metadata:\n  name: media-a\n", 'metadata:\n  name: media-a\n  labels: {owner: "${OWNER_TOKEN}"}\n'))
    (repo / "policies" / "budget.rego").write_text(
        "package main\nimport rego.v1\n"
        'deny contains "the secret reached the policy" if { contains(json.marshal(input), "sk-owner-123456") }\n'
        'warn contains "masked" if { some d in input.manifests; d.metadata.labels.owner == "(sensitive value)" }\n')
    result = run_cli("--emulator", "plan", "-f", str(repo), "--env", "prod", "--format", "json")
    assert result.code == 0, result
    policy = json.loads(result.out)["policy"]
    assert policy["denials"] == [] and [w["message"] for w in policy["warnings"]] == ["masked"]


def test_validate_checks_policy_sources_in_every_environment_that_names_them(run_cli, tmp_path):
    repo = write_repo(tmp_path / "repo", "media-a")
    (repo / "policies" / "budget.rego").unlink()  # an empty policy.paths folder
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1, result
    assert result.out == "staging: 1 deployment, 0 presets: valid\n"  # staging names no policies
    assert "policies: spec.policy.paths: no Rego policy files (*.rego) found" in result.err
    assert "error: manifests are invalid in prod: 1 problem" in result.err
    (repo / "policies" / "budget.rego").write_text("package main\nimport rego.v1\ndeny contains msg if {\n"
                                                   "  msg := \"a\n}\n")
    broken = run_cli("validate", "-f", ".", "--env", "prod", cwd=repo)
    assert broken.code == 1, broken
    assert "policies/budget.rego:4:7: rego: Invalid assignment operator" in broken.err


def test_apply_checks_policy_sources_before_registering_workflows(run_cli, tmp_path, emulator):
    repo = write_repo(tmp_path / "repo", "media-a")
    (repo / "policies" / "budget.rego").unlink()
    result = run_cli("-v", "--emulator", "apply", "-f", ".", "--env", "prod", "--auto-approve", cwd=repo)
    assert result.code == 1, result
    assert "no Rego policy files (*.rego) found" in result.err
    assert "emulator: registered" not in result.err
    assert "GET" not in result.err and not MUTATING.search(result.err)  # not one API call
    assert live_deployments(emulator) == []
