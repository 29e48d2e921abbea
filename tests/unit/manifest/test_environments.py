"""Environments: resolution goldens (``validate --env X --print``), located patch problems, --env selection.

Regenerate the goldens with ``UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/unit/manifest/test_environments.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support import golden

GOLDEN = Path(__file__).parent / "golden"

BASE = {
    "settings.yaml": """
        apiVersion: comfyops/v1
        kind: Settings
        spec:
          prune: { enabled: true, match: ["media-*"], action: delete }
          defaults: { hardware: AMPERE_24 }
          rate_limit: { requests_per_second: 2, burst: 4 }
        """,
    "deployments.yaml": """
        apiVersion: comfyops/v1
        kind: Deployment
        metadata:
          name: media-img
          previous_names: [media-image]
        spec:
          workflow_id: wf-img
          workflow_version: v1
          max_instances: 2
          smoke:
            timeout_seconds: 60
            expect: { status: succeeded }
        ---
        apiVersion: comfyops/v1
        kind: Deployment
        metadata:
          name: media-video
        spec:
          workflow_id: wf-video
          workflow_version: v1
          ignore_changes: [max_instances]
        ---
        apiVersion: comfyops/v1
        kind: Deployment
        metadata:
          name: lab-test
        spec:
          workflow_id: wf-img
          workflow_version: v1
        """,
    "policies/main.rego": """
        package main
        """,
    "envs/environments.yaml": """
        apiVersion: comfyops/v1
        kind: Environment
        metadata:
          name: staging
        spec:
          name_prefix: "stg-"
          exclude: ["lab-*"]
        ---
        apiVersion: comfyops/v1
        kind: Environment
        metadata:
          name: prod
        spec:
          name_suffix: "-prod"
          include: ["media-*"]
          settings:
            prune: { action: pause }
            rate_limit: { burst: 10 }
            policy: { paths: [../policies] }
          patches:
            - match: "*"
              spec: { min_instances: 1, max_instances: 4, ignore_changes: [], smoke: { timeout_seconds: 300 } }
            - match: [media-img]
              spec: { min_instances: 2, hardware: AMPERE_80 }
        """,
}


def check_golden(name: str, actual: str) -> None:
    golden.assert_golden(GOLDEN / name, actual)


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_resolved_manifests_match_goldens(environment, write_files, run_cli):
    """prefix (staging), suffix (prod), patches in order, include/exclude, settings merged over Settings,
    prune patterns turned into the environment's names and the other environment's names excluded."""
    repo = write_files(BASE)
    result = run_cli("validate", "-f", ".", "--env", environment, "--print", cwd=repo)
    assert result.code == 0, result
    check_golden(f"environment_{environment}.yaml", result.out)


def test_validate_without_env_checks_every_environment(write_files, run_cli):
    repo = write_files(BASE)
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 0, result
    assert result.out == "staging: 2 deployments, 0 presets: valid\nprod: 2 deployments, 0 presets: valid\n"


@pytest.mark.parametrize("args", [(), ("--env", "prod")])
def test_validate_parses_each_file_once_however_many_environments(write_files, run_cli, monkeypatch, args):
    from reconciler.manifest import source

    parsed: list[str] = []
    real = source.parse_documents
    monkeypatch.setattr(source, "parse_documents", lambda text, path: parsed.append(path) or real(text, path))
    repo = write_files(BASE)
    result = run_cli("validate", "-f", ".", *args, cwd=repo)
    assert result.code == 0, result
    assert parsed and len(parsed) == len(set(parsed)), parsed


def test_a_bad_patch_value_is_reported_at_the_patch(write_files, run_cli):
    files = dict(BASE)
    files["envs/environments.yaml"] = BASE["envs/environments.yaml"].replace(
        "spec: { min_instances: 2, hardware: AMPERE_80 }", "spec: { min_instances: 9, max_instances: 3 }")
    repo = write_files(files)
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1
    lines = result.err.splitlines()
    assert "envs/environments.yaml:24:33: spec.max_instances: environment prod: max_instances (3) is below " \
           "min_instances (9)" in lines, result.err
    assert lines[-1] == "error: manifests are invalid in prod: 1 problem"
    assert result.out == "staging: 2 deployments, 0 presets: valid\n"


def test_unknown_patch_key_is_an_error_with_a_suggestion(write_files, run_cli):
    files = dict(BASE)
    files["envs/environments.yaml"] = BASE["envs/environments.yaml"].replace(
        "spec: { min_instances: 2, hardware: AMPERE_80 }", "spec: { min_instance: 2 }")
    repo = write_files(files)
    result = run_cli("validate", "-f", ".", "--env", "prod", cwd=repo)
    assert result.code == 1
    assert ("envs/environments.yaml:24:15: spec.patches[1].spec.min_instance: environment prod: unknown Deployment "
            "spec field 'min_instance' in patch (hint: did you mean 'min_instances'?)") in result.err


def test_a_patch_matching_nothing_is_a_warning(write_files, run_cli):
    files = dict(BASE)
    files["envs/environments.yaml"] = BASE["envs/environments.yaml"].replace("match: [media-img]", "match: [kontext-*]")
    repo = write_files(files)
    result = run_cli("validate", "-f", ".", "--env", "prod", cwd=repo)
    assert result.code == 0, result
    assert ("envs/environments.yaml:23:7: spec.patches[1].match: warning: environment prod: patch 2 matches no "
            "deployment (kontext-*) (hint: match is a glob over base deployment names (without "
            "name_prefix/name_suffix))") in result.err


@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"], ["smoke"], ["run", "media-img"]])
def test_commands_need_an_env_when_environments_exist(write_files, run_cli, command):
    repo = write_files(BASE)
    result = run_cli("--emulator", *command, "-f", ".", cwd=repo)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "error: the manifests declare environments (staging, prod); choose one with --env")


def test_a_wrong_env_lists_the_environments(write_files, run_cli):
    repo = write_files(BASE)
    result = run_cli("--emulator", "plan", "-f", ".", "--env", "prd", cwd=repo)
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: --env prd: no such environment (declared: staging, prod); did you mean 'prod'?"]


def test_env_from_comfyops_env(write_files, run_cli, monkeypatch):
    repo = write_files(BASE)
    monkeypatch.setenv("COMFYOPS_ENV", "prod")
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.out == "prod: 2 deployments, 0 presets: valid\n", result


def test_env_without_environment_documents_is_an_error(write_files, run_cli):
    repo = write_files({"deployments.yaml": BASE["deployments.yaml"]})
    result = run_cli("validate", "-f", ".", "--env", "prod", cwd=repo)
    assert result.code == 1
    assert result.err == "error: --env prod: the manifests declare no Environment documents\n"


def test_duplicate_environment_names_are_reported(write_files, run_cli):
    files = dict(BASE)
    files["more.yaml"] = "apiVersion: comfyops/v1\nkind: Environment\nmetadata:\n  name: prod\n"
    repo = write_files(files)
    result = run_cli("validate", "-f", ".", "--env", "staging", cwd=repo)
    assert result.code == 1
    assert ("more.yaml:4:3: metadata.name: environment 'prod' is declared twice (also at "
            "envs/environments.yaml:12:3)") in result.err


def test_print_masks_interpolated_secrets(write_files, run_cli, monkeypatch):
    monkeypatch.setenv("WORKFLOW_TOKEN", "wf-secret-1234")
    files = dict(BASE)
    files["deployments.yaml"] = BASE["deployments.yaml"].replace(
        "workflow_id: wf-video", "workflow_id: ${WORKFLOW_TOKEN}")
    repo = write_files(files)
    result = run_cli("validate", "-f", ".", "--env", "staging", "--print", cwd=repo)
    assert result.code == 0, result
    assert "wf-secret-1234" not in result.out
    assert "workflow_id: (sensitive value)" in result.out


def test_policy_paths_are_relative_to_the_file_that_names_them(write_files, monkeypatch):
    from reconciler.manifest.load import load_manifests

    files = dict(BASE)
    files["settings.yaml"] = BASE["settings.yaml"].rstrip() + "\n          policy: { paths: [rules/] }\n"
    repo = write_files(files)
    monkeypatch.chdir(repo)
    prod = load_manifests(["."], env={}, environment="prod").state
    staging = load_manifests(["."], env={}, environment="staging").state
    assert prod is not None and staging is not None
    assert prod.policy_paths == ("policies",)  # envs/environments.yaml says ../policies
    assert staging.policy_paths == ("rules",)  # settings.yaml says rules/
    assert prod.environment is not None and prod.environment.token_env == "RUNCOMFY_API_TOKEN"


def test_an_environment_token_variable_is_used_and_named(write_files, run_cli):
    files = dict(BASE)
    files["envs/environments.yaml"] = BASE["envs/environments.yaml"].replace(
        'name_suffix: "-prod"', 'name_suffix: "-prod"\n          token_env: PROD_TOKEN')
    repo = write_files(files)
    result = run_cli("plan", "-f", ".", "--env", "prod", cwd=repo)
    assert result.code == 1
    assert result.err.splitlines()[0] == "error: PROD_TOKEN is not set"


def test_an_empty_environment_is_the_base(write_files, monkeypatch):
    from reconciler.manifest.load import load_manifests

    files = {k: v for k, v in BASE.items() if k != "envs/environments.yaml"}
    repo = write_files(files)
    monkeypatch.chdir(repo)
    base = load_manifests(["."], env={}).state
    (repo / "env.yaml").write_text("apiVersion: comfyops/v1\nkind: Environment\nmetadata:\n  name: same\n")
    same = load_manifests(["."], env={}, environment="same").state
    assert base is not None and same is not None
    assert [(d.name, dict(d.fields), d.protect) for d in same.deployments] == [
        (d.name, dict(d.fields), d.protect) for d in base.deployments]
    assert same.settings == base.settings
    assert same.environment_name == "same" and base.environment_name is None


def test_interpolated_patch_values_stay_sensitive(write_files, monkeypatch):
    from reconciler.manifest.load import load_manifests

    files = dict(BASE)
    files["envs/environments.yaml"] = BASE["envs/environments.yaml"].replace(
        "spec: { min_instances: 2, hardware: AMPERE_80 }", 'spec: { workflow_version: "${secret:PROD_VERSION}" }')
    repo = write_files(files)
    monkeypatch.chdir(repo)
    state = load_manifests(["."], env={"PROD_VERSION": "v9-secret"}, environment="prod").state
    assert state is not None
    img = state.deployment("media-img-prod")
    assert img is not None and img.fields["workflow_version"] == "v9-secret"
    assert "workflow_version" in img.sensitive_fields
    video = state.deployment("media-video-prod")
    assert video is not None and "workflow_version" not in video.sensitive_fields
