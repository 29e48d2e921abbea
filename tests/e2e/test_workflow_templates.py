"""The workflow templates, run for real: their ``comfyops`` steps against the emulator and a fake GitHub API.

Each test reads a template from ``examples/github/workflows/``, runs its ``run:`` steps in order with
the ``env:`` they declare (``support.workflow_runner``), with the embedded emulator standing in for
RunComfy (``COMFYOPS_EMULATOR=1``) and ``support.fake_github`` for the GitHub REST API (as GitHub
Enterprise, under ``/api/v3``), and checks what a team would see: the job summaries, the comments
and issues, and which steps and jobs passed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator.state import EmulatorState
from support.fake_github import FakeGitHub, serve
from support.workflow_runner import WorkflowRun, run_workflow

ROOT = Path(__file__).parents[2]
TEMPLATES = ROOT / "examples" / "github" / "workflows"
TOKEN = "ghs_fake_workflow_token"
REPO = "octo/deployments"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(token=TOKEN, repository=REPO)) as fake:
        yield fake


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The deployments repository: a copy of examples/ (without the templates), with a fast rate limit."""
    work = tmp_path / "checkout"
    shutil.copytree(ROOT / "examples", work, ignore=shutil.ignore_patterns("github"))
    settings = work / "settings.yaml"
    text = re.sub(r"requests_per_second: \d+", "requests_per_second: 100", settings.read_text(encoding="utf-8"))
    settings.write_text(re.sub(r"burst: \d+", "burst: 100", text), encoding="utf-8")
    return work


def run(
    template: str,
    github: FakeGitHub,
    checkout: Path,
    state_dir: Path,
    tmp_path: Path,
    *,
    event_name: str,
    event: dict[str, Any],
) -> WorkflowRun:
    scratch = tmp_path / f"scratch-{len(list(tmp_path.glob('scratch-*')))}"
    scratch.mkdir()
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "COMFYOPS_EMULATOR": "1",
        "COMFYOPS_EMULATOR_STATE": str(state_dir),
        "COMFYOPS_CACHE_DIR": str(tmp_path / ".cache"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": SHA,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_SERVER_URL": "https://github.example.test",
        "GITHUB_API_URL": github.base_url,
        "GITHUB_WORKSPACE": str(checkout),
        "GITHUB_EVENT_NAME": event_name,
        **{k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ},
    }
    secrets = {"RUNCOMFY_API_TOKEN": "runcomfy-secret-token"}
    return run_workflow(
        TEMPLATES / template,
        event_name=event_name,
        event=event,
        workdir=checkout,
        env=env,
        secrets=secrets,
        github_token=TOKEN,
        scratch=scratch,
    )


def pull_request(number: int, head_repo: str = REPO) -> dict[str, Any]:
    return {"pull_request": {"number": number, "head": {"repo": {"full_name": head_repo}}}}


def assert_no_secret(result: WorkflowRun) -> None:
    for job in result.jobs.values():
        for step in job.steps:
            for text in (step.stdout, step.stderr, step.summary):
                assert TOKEN not in text and "runcomfy-secret-token" not in text


def test_plan_validates_plans_each_environment_and_keeps_one_comment_each(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    github.comments[7] = [{"id": i, "body": f"review comment {i}"} for i in range(1, 151)]  # two pages
    result = run(
        "comfyops-plan.yml", github, checkout, state_dir, tmp_path, event_name="pull_request", event=pull_request(7)
    )
    assert {k: j.outcome for k, j in result.jobs.items()} == {
        "validate": "success",
        "plan (staging)": "success",
        "plan (prod)": "success",
    }
    # no COMFYOPS_ENV in the validate job: every environment is checked
    assert result.jobs["validate"].summary == (
        "### ComfyOps validate\n\n✅ **staging: 3 deployments, 3 presets: valid**  \n"
        "✅ **prod: 2 deployments, 3 presets: valid**\n"
    )
    creates = {"staging": 3, "prod": 2}  # prod excludes the video deployment
    for number, env in enumerate(("staging", "prod"), start=1001):
        job = result.jobs[f"plan ({env})"]
        assert f"## ComfyOps plan: {env}" in job.summary
        assert f"**Plan: {creates[env]} to create" in job.summary
        assert job.step("Sticky pull request comment").stdout.startswith(f"Created comment {number} (plan-{env})")
        plan = json.loads(result.artifacts[f"plan-{env}"].read_text(encoding="utf-8"))
        assert plan["format_version"] == 1 and plan["environment"] == env
        assert plan["summary"]["create"] == creates[env]
        assert all(c["name"].endswith(f"-{env}") for c in plan["changes"])
    ours = [b for b in github.comment_bodies(7) if b.startswith("<!-- comfyops-comment:")]
    assert [b.splitlines()[:4:3] for b in ours] == [
        ["<!-- comfyops-comment: plan-staging -->", "## ComfyOps plan: staging"],
        ["<!-- comfyops-comment: plan-prod -->", "## ComfyOps plan: prod"],
    ]
    assert "**Plan: 3 to create, 0 to update, 0 to replace, 0 to delete.**" in ours[0]
    assert "**Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.**" in ours[1]
    assert "Policy passed" in ours[1]  # prod's Rego policies ran and are shown in its comment
    assert_no_secret(result)

    github.calls.clear()
    again = run(
        "comfyops-plan.yml", github, checkout, state_dir, tmp_path, event_name="pull_request", event=pull_request(7)
    )
    assert all(j.outcome == "success" for j in again.jobs.values())
    assert github.mutations() == []  # the same plan: both comments found on page 2, nothing re-posted
    assert len(github.comment_bodies(7)) == 152


def test_plan_on_a_fork_validates_offline_only(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    result = run(
        "comfyops-plan.yml",
        github,
        checkout,
        state_dir,
        tmp_path,
        event_name="pull_request",
        event=pull_request(9, head_repo="someone/fork"),
    )
    assert {k: j.outcome for k, j in result.jobs.items()} == {
        "validate": "success",
        "plan (staging)": "skipped",
        "plan (prod)": "skipped",
    }
    assert "✅" in result.jobs["validate"].summary
    assert github.calls == []


def test_plan_with_invalid_manifests_annotates_and_stops(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    target = checkout / "deployments" / "txt2img.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("hardware:", "hardwre:"), encoding="utf-8")
    result = run(
        "comfyops-plan.yml", github, checkout, state_dir, tmp_path, event_name="pull_request", event=pull_request(7)
    )
    validate = result.jobs["validate"]
    assert validate.outcome == "failure" and validate.steps[-1].code == 1
    assert re.search(
        r"^::error file=deployments/txt2img\.yaml,line=\d+,col=\d+,title=comfyops::spec\.hardwre: "
        r"unknown field 'hardwre'",
        validate.steps[-1].stderr,
        re.MULTILINE,
    )
    assert "❌ **manifests are invalid" in validate.summary
    assert result.jobs["plan (staging)"].outcome == "skipped"
    assert github.calls == []


def test_apply_applies_staging_then_prod_with_smoke_tests(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    result = run(
        "comfyops-apply.yml", github, checkout, state_dir, tmp_path, event_name="push", event={"ref": "refs/heads/main"}
    )
    assert {k: j.outcome for k, j in result.jobs.items()} == {"staging": "success", "prod": "success"}
    staging = result.jobs["staging"]
    assert "## ComfyOps apply" in staging.summary and "### ComfyOps smoke tests" in staging.summary
    assert staging.step("Comment on the merged pull request").outcome == "skipped"
    assert "media-sdxl-txt2img-staging" in staging.summary
    assert "media-sdxl-txt2img-prod" in result.jobs["prod"].summary
    assert github.calls == []
    assert_no_secret(result)
    for env in ("staging", "prod"):  # the pictures: one HTML page per environment, linked from the summary
        page = result.artifacts[f"comfyops-smoke-{env}"].read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and f"media-sdxl-txt2img-{env}" in page
        assert re.search(r'<img src="data:image/(png|jpeg);base64,', page)
        assert re.search(r"\[the smoke report\]\(https://github\.example\.test/octo/deployments/actions/runs/4242/"
                         r"artifacts/\d+\) \(HTML: received, golden, difference\)", result.jobs[env].summary)
        assert "GitHub removes data: images from Markdown" in result.jobs[env].summary


def test_a_failed_apply_comments_on_the_merged_pull_request(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path, state: EmulatorState
) -> None:
    github.commit_pulls[SHA] = [31]
    state.configure(fail_next_runs=1)
    result = run(
        "comfyops-apply.yml", github, checkout, state_dir, tmp_path, event_name="push", event={"ref": "refs/heads/main"}
    )
    staging = result.jobs["staging"]
    assert staging.outcome == "failure"
    assert staging.step("Apply and smoke-test").code == 1
    assert result.jobs["prod"].outcome == "skipped"  # prod never runs after staging failed
    [body] = github.comment_bodies(31)
    assert body.startswith("<!-- comfyops-comment: apply-staging -->\n## ComfyOps apply to staging failed")
    assert "Re-run failed jobs" in body and "https://github.example.test/octo/deployments/actions/runs/4242" in body
    assert "## ComfyOps apply" in body  # the apply report itself follows
    assert "[the smoke report](https://github.example.test/octo/deployments/actions/runs/4242/artifacts/" in body
    assert github.mutations() == [("POST", "/repos/octo/deployments/issues/31/comments")]


def test_drift_opens_updates_and_closes_one_issue_per_environment(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    applied = run(
        "comfyops-apply.yml", github, checkout, state_dir, tmp_path, event_name="push", event={"ref": "refs/heads/main"}
    )
    assert all(j.outcome == "success" for j in applied.jobs.values())

    in_sync = run("comfyops-drift.yml", github, checkout, state_dir, tmp_path, event_name="schedule", event={})
    assert all(j.outcome == "success" for j in in_sync.jobs.values()), in_sync
    assert github.issues == [] and github.mutations() == []

    before = _edit_live(state_dir, "media-sdxl-txt2img", max_instances=9)
    drifted = run("comfyops-drift.yml", github, checkout, state_dir, tmp_path, event_name="schedule", event={})
    assert all(j.outcome == "success" for j in drifted.jobs.values())
    assert sorted(i["title"] for i in github.issues) == ["ComfyOps drift: prod", "ComfyOps drift: staging"]
    assert all(i["state"] == "open" and "max_instances" in i["body"] for i in github.issues)
    assert "max_instances" in drifted.jobs["drift (staging)"].summary
    assert "<!DOCTYPE html>" in drifted.artifacts["comfyops-smoke-staging"].read_text(encoding="utf-8")
    assert "[the smoke report](" in drifted.jobs["drift (prod)"].summary

    again = run("comfyops-drift.yml", github, checkout, state_dir, tmp_path, event_name="workflow_dispatch", event={})
    assert all(j.outcome == "success" for j in again.jobs.values())
    assert len(github.issues) == 2

    _restore_live(state_dir, before)
    github.calls.clear()
    fixed = run("comfyops-drift.yml", github, checkout, state_dir, tmp_path, event_name="schedule", event={})
    assert all(j.outcome == "success" for j in fixed.jobs.values())
    assert [i["state"] for i in github.issues] == ["closed", "closed"]
    assert sum(1 for m, p in github.mutations() if m == "POST") == 2  # one "in sync again" comment each

    _edit_live(state_dir, "media-sdxl-txt2img", max_instances=7)
    back = run("comfyops-drift.yml", github, checkout, state_dir, tmp_path, event_name="schedule", event={})
    assert all(j.outcome == "success" for j in back.jobs.values())
    assert [(i["number"], i["state"]) for i in github.issues] == [(1, "open"), (2, "open")]  # reopened, not new


def _edit_live(state_dir: Path, name: str, **fields: Any) -> dict[str, dict[str, Any]]:
    """Someone changes a deployment in the RunComfy UI: a PATCH straight to the emulator. Returns what the
    changed fields were, by live name, for :func:`_restore_live`."""
    import httpx

    from reconciler.emulator.embedded import EmbeddedEmulator

    before: dict[str, dict[str, Any]] = {}
    with EmbeddedEmulator(state_dir) as emu:
        headers = {"Authorization": "Bearer t"}
        listed = httpx.get(f"{emu.base_url}/prod/v2/deployments", headers=headers).json()
        for dep in listed:
            if dep["name"].startswith(name):
                before[dep["name"]] = {k: dep[k] for k in fields}
                httpx.patch(
                    f"{emu.base_url}/prod/v2/deployments/{dep['id']}",
                    json={"name": dep["name"], **fields},
                    headers=headers,
                ).raise_for_status()
    return before


def _restore_live(state_dir: Path, before: dict[str, dict[str, Any]]) -> None:
    """Put back what :func:`_edit_live` changed (as an apply would), without running a whole apply workflow."""
    for live_name, fields in before.items():
        _edit_live(state_dir, live_name, **fields)
