"""Every workflow, template and the action pass GitHub's schemas, zizmor, and our own security rules.

The schemas and zizmor run as the test extra installs them (``check-jsonschema`` with its vendored
schemas, ``zizmor --offline``); both are wheels, so this needs no network. Our rules are the ones
the workflow templates promise in their header: minimal permissions, SHA pins with a version
comment, ``persist-credentials: false``, no ``pull_request_target``, no ``${{ }}`` in ``run:``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[3]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TEMPLATES = sorted((ROOT / "examples" / "github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
ALL_WORKFLOWS = WORKFLOWS + TEMPLATES

# The released commits of the actions we pin, looked up from each action's tags.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
}
COMFYOPS_ACTION = "comfyops/comfyops"
"""The templates' placeholder for this repository's action; the README says to pin your release's SHA."""

_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*))?$")


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[test]'"
    return found


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    return on if isinstance(on, dict) else {name: None for name in ([on] if isinstance(on, str) else on)}


def steps(workflow: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])]


def test_there_are_workflows_and_templates() -> None:
    assert [p.name for p in TEMPLATES] == ["comfyops-apply.yml", "comfyops-drift.yml", "comfyops-plan.yml"]
    assert [p.name for p in WORKFLOWS] == ["ci.yml"]


def test_workflows_and_templates_match_the_github_workflow_schema() -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, ALL_WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_matches_the_github_action_schema() -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps: 3\n", encoding="utf-8")
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0


def zizmor(*paths: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            "--no-progress",
            "--format",
            "json",
            "--min-severity",
            "medium",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.stdout.strip(), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_zizmor_finds_nothing_of_medium_severity_or_above() -> None:
    findings = zizmor(*ALL_WORKFLOWS, ACTION)
    assert [(f["ident"], f["determinations"]["severity"]) for f in findings] == []


def test_zizmor_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    permissions: {}\n"
        "    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n",
        encoding="utf-8",
    )
    assert {f["ident"] for f in zizmor(bad)} >= {"template-injection", "dangerous-triggers"}


@pytest.mark.parametrize("path", [*ALL_WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_released_sha_with_its_version(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _USES.match(line)
        if not match:
            continue
        name, _, ref = match.group("ref").partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}: {line.strip()} is not pinned to a commit SHA"
        assert match.group("comment") and re.match(r"v\d", match.group("comment")), f"{path.name}: {line.strip()}"
        if name == COMFYOPS_ACTION:
            continue
        assert name in PINS, f"{path.name}: {name} is not a known action"
        assert (ref, match.group("comment").split()[0]) == PINS[name], f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_security_rules(path: Path) -> None:
    workflow = load(path)
    assert "pull_request_target" not in triggers(workflow)
    assert workflow.get("permissions") == {}, "the workflow grants nothing; each job asks for what it needs"
    for job_id, job in workflow["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{job_id}: no job-level permissions"
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        assert writes <= {"pull-requests", "issues", "checks"}, f"{job_id}: writes {writes}"
    for job_id, step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{job_id}: checkout persists credentials"
        assert "${{" not in str(step.get("run", "")), f"{job_id}: an expression inside a run: script"


def test_action_never_expands_inputs_inside_scripts() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "${{" not in str(step.get("run", ""))
    assert 'pip install "$GITHUB_ACTION_PATH"' in ACTION.read_text(encoding="utf-8")


def test_pull_request_jobs_hold_no_secret_and_no_environment() -> None:
    """The plan workflow runs the pull request's code: no secret, no environment (whose secrets it would get)."""
    text = (ROOT / "examples/github/workflows/comfyops-plan.yml").read_text(encoding="utf-8")
    assert "secrets." not in text and "secrets[" not in text
    plan = load(ROOT / "examples/github/workflows/comfyops-plan.yml")
    for job_id, job in plan["jobs"].items():
        assert "environment" not in job, job_id
    assert plan["jobs"]["plan"]["permissions"] == {
        "contents": "read",
        "actions": "read",
        "checks": "write",
        "pull-requests": "write",
    }
    assert plan["concurrency"] == {
        "group": "comfyops-plan-${{ github.event.pull_request.number }}",
        "cancel-in-progress": True,
    }
    assert plan["jobs"]["plan"]["strategy"]["matrix"]["environment"] == ["staging", "prod"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_the_token_is_read_only_in_jobs_of_a_branch_restricted_environment(path: Path) -> None:
    """Every job that reads a secret runs in a GitHub environment (``<env>-read``, ``<env>``), whose secrets a
    pull request's run cannot get once the environment allows only the default branch (README)."""
    for job_id, job in load(path)["jobs"].items():
        if "secrets." in yaml.safe_dump(job):
            assert str(job.get("environment", "")).endswith(("-read", "staging", "prod")), job_id


def test_apply_is_split_serialised_and_never_cancelled() -> None:
    apply = load(ROOT / "examples/github/workflows/comfyops-apply.yml")
    assert apply["concurrency"] == {"group": "comfyops-apply", "cancel-in-progress": False}
    jobs = apply["jobs"]
    assert list(jobs) == ["plan-staging", "apply-staging", "plan-prod", "apply-prod"]
    assert [jobs[j].get("needs") for j in jobs] == [None, "plan-staging", "apply-staging", "plan-prod"]
    for env in ("staging", "prod"):
        plan_job, apply_job = jobs[f"plan-{env}"], jobs[f"apply-{env}"]
        assert plan_job["environment"] == f"{env}-read" and apply_job["environment"] == env
        assert apply_job["concurrency"] == {"group": f"comfyops-apply-{env}", "cancel-in-progress": False}
        checkout = apply_job["steps"][0]
        assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"  # newest manifests
        runs = " ".join(str(s.get("run", "")) for s in apply_job["steps"])
        assert "comfyops apply approved/plan.json" in runs and "--auto-approve" not in runs
        downloaded = [s for s in apply_job["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact@")]
        assert [s["with"]["name"] for s in downloaded] == [f"plan-{env}"]


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["comfyops-validate", "comfyops-fmt"]
    assert hooks[0]["entry"].startswith("comfyops validate") and hooks[0]["language"] == "python"
    assert hooks[1]["entry"] == "comfyops fmt" and hooks[1]["language"] == "python"
    assert not hooks[1]["pass_filenames"]  # fmt takes -f, not positional file names
