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
from support.workflow_runner import Approver, WorkflowRun, run_workflow

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
    approve: Approver | None = None,
    runcomfy: bool = True,
    record: WorkflowRun | None = None,
) -> WorkflowRun:
    """Run ``template``; ``runcomfy=False`` leaves the emulator out of the environment (a job that needs
    RunComfy then fails), as a pull-request job must never reach RunComfy."""
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
    if not runcomfy:
        env = {k: v for k, v in env.items() if not k.startswith("COMFYOPS_EMULATOR")}
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
        approve=approve,
        record=record,
    )


HEAD_SHA = "abcdef0123456789abcdef0123456789abcdef01"
PUSH = {"ref": "refs/heads/main", "repository": {"default_branch": "main"}}


def pull_request(number: int, head_repo: str = REPO) -> dict[str, Any]:
    return {
        "pull_request": {"number": number, "head": {"repo": {"full_name": head_repo}, "sha": HEAD_SHA}},
        "repository": {"default_branch": "main"},
    }


def run_pull_request(github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path, number: int) -> WorkflowRun:
    """comfyops-plan.yml for pull request ``number``, with no RunComfy (no emulator, no token) in reach."""
    return run(
        "comfyops-plan.yml",
        github,
        checkout,
        state_dir,
        tmp_path,
        event_name="pull_request",
        event=pull_request(number),
        runcomfy=False,
    )


def publish_snapshots(github: FakeGitHub, result: WorkflowRun, *, branch: str = "main") -> list[str]:
    """What GitHub keeps of a run's uploads: every snapshot artifact, listed for later runs to download."""
    names = []
    for name, path in result.uploads:
        if name.startswith("comfyops-snapshot-"):
            github.add_artifact(name, {path.name: path.read_bytes()}, head_branch=branch)
            names.append(name)
    return names


def assert_no_runcomfy_credential(result: WorkflowRun, *jobs: str) -> None:
    """The jobs ran without any RunComfy variable or the token's value in any step's environment."""
    for key in jobs:
        job = result.jobs[key]
        assert job.environment == "" and job.steps
        for step in job.steps:
            assert not [k for k in step.env if "RUNCOMFY" in k or k.startswith("COMFYOPS_EMULATOR")], step.name
            assert "runcomfy-secret-token" not in "".join(step.env.values()), step.name


def failures(result: WorkflowRun) -> list[tuple[str, str, str]]:
    """Each failed step's job, name and the end of its stderr: the message of a failed outcome assertion."""
    return [(s.job, s.name, s.stderr[-800:]) for j in result.jobs.values() for s in j.steps if s.outcome == "failure"]


def assert_no_secret(result: WorkflowRun) -> None:
    for job in result.jobs.values():
        for step in job.steps:
            for text in (step.stdout, step.stderr, step.summary):
                assert TOKEN not in text and "runcomfy-secret-token" not in text


def trusted_snapshots(github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path) -> None:
    """The drift cron on the default branch uploads each environment's snapshot; GitHub keeps them."""
    drift = run("comfyops-drift.yml", github, checkout, state_dir, tmp_path, event_name="schedule", event={})
    assert publish_snapshots(github, drift) == ["comfyops-snapshot-staging", "comfyops-snapshot-prod"]
    github.issues.clear()
    github.calls.clear()


def test_plan_validates_plans_each_environment_from_a_snapshot_without_any_runcomfy_credential(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    trusted_snapshots(github, checkout, state_dir, tmp_path)
    github.add_artifact("comfyops-snapshot-prod", {"snapshot.json": b"{}"}, head_branch="pr-branch")  # never taken
    github.add_artifact("comfyops-snapshot-prod", {"snapshot.json": b"{}"}, head_branch="main", fork=True)  # nor this
    github.comments[7] = [{"id": i, "body": f"review comment {i}"} for i in range(1, 151)]  # two pages
    result = run_pull_request(github, checkout, state_dir, tmp_path, 7)
    assert {k: j.outcome for k, j in result.jobs.items()} == {
        "validate": "success",
        "plan (staging)": "success",
        "plan (prod)": "success",
    }, failures(result)
    assert_no_runcomfy_credential(result, "validate", "plan (staging)", "plan (prod)")
    # no COMFYOPS_ENV in the validate job: every environment is checked
    assert result.jobs["validate"].summary == (
        "### ComfyOps validate\n\n✅ **staging: 3 deployments, 3 presets: valid**  \n"
        "✅ **prod: 2 deployments, 3 presets: valid**\n"
    )
    creates = {"staging": 3, "prod": 2}  # prod excludes the video deployment
    for env in ("staging", "prod"):
        job = result.jobs[f"plan ({env})"]
        assert (
            "Downloaded snapshot.json of artifact comfyops-snapshot-" + env
            in job.step("Download the live snapshot").stdout
        )
        assert f"## ComfyOps plan: {env}" in job.summary
        assert re.search(
            r"Planned against a snapshot of emulator \(state: .*\) taken [0-9-]+ [0-9:]+ UTC \(\d+s ago\)", job.summary
        )
        assert f"**Plan: {creates[env]} to create" in job.summary
        plan = json.loads(result.artifacts[f"plan-{env}"].read_text(encoding="utf-8"))
        assert plan["format_version"] == 1 and plan["environment"] == env
        assert plan["planned_against"].startswith("Planned against a snapshot of emulator")
        assert plan["summary"]["create"] == creates[env]
        assert all(c["name"].endswith(f"-{env}") for c in plan["changes"])
    # one check run per environment: the summary sentence as its title, the whole plan as its text
    runs = {r["name"]: r for r in github.check_runs}
    assert sorted(runs) == ["comfyops plan (prod)", "comfyops plan (staging)"]
    staging_check = runs["comfyops plan (staging)"]
    assert staging_check["head_sha"] == HEAD_SHA and staging_check["conclusion"] == "success"
    assert staging_check["output"]["title"] == "Plan: 3 to create, 0 to update, 0 to replace, 0 to delete."
    assert (
        "<details>" in staging_check["output"]["text"]
        and "media-sdxl-txt2img-staging" in staging_check["output"]["text"]
    )
    assert staging_check["details_url"] == "https://github.example.test/octo/deployments/actions/runs/4242"
    # the sticky comments are short and link to the checks
    ours = [b for b in github.comment_bodies(7) if b.startswith("<!-- comfyops-comment:")]
    assert [b.splitlines()[:4:3] for b in ours] == [
        ["<!-- comfyops-comment: plan-staging -->", "## ComfyOps plan: staging"],
        ["<!-- comfyops-comment: plan-prod -->", "## ComfyOps plan: prod"],
    ]
    assert "**Plan: 3 to create, 0 to update, 0 to replace, 0 to delete.**" in ours[0]
    assert "**Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.**" in ours[1]
    assert "<details>" not in ours[0]
    assert f"[comfyops plan (staging)]({runs['comfyops plan (staging)']['html_url']})" in ours[0]
    assert "Policy passed" in ours[1]  # prod's Rego policies ran and are shown in its comment
    assert_no_secret(result)
    assert github.blob_requests and all("authorization" not in h for h in github.blob_requests)

    github.calls.clear()
    again = run_pull_request(github, checkout, state_dir, tmp_path, 7)
    assert all(j.outcome == "success" for j in again.jobs.values())
    # the same plan: both comments found on page 2 and updated in place (the snapshot's age moved on), each
    # check run updated, not duplicated
    patched = {p for m, p in github.mutations() if m == "PATCH"}
    assert all(m == "PATCH" for m, _ in github.mutations())
    assert {f"/repos/octo/deployments/check-runs/{r['id']}" for r in github.check_runs} <= patched
    assert len(github.check_runs) == 2 and len(github.comment_bodies(7)) == 152


def test_a_pull_request_plan_without_a_default_branch_snapshot_fails_its_check(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    github.add_artifact("comfyops-snapshot-staging", {"snapshot.json": b"{}"}, head_branch="feature")
    result = run_pull_request(github, checkout, state_dir, tmp_path, 8)
    job = result.jobs["plan (staging)"]
    assert job.outcome == "failure"
    assert "no artifact 'comfyops-snapshot-staging' from a run on main" in job.step("Download the live snapshot").stderr
    assert job.step("Plan against the snapshot").outcome == "skipped"
    check = next(r for r in github.check_runs if r["name"] == "comfyops plan (staging)")
    assert check["conclusion"] == "failure" and check["output"]["title"] == "No plan was made"
    [staging_comment, _] = github.comment_bodies(8)
    assert "no plan was made" in staging_comment


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


APPLY_JOBS = ("plan-staging", "apply-staging", "plan-prod", "apply-prod")


def test_apply_plans_then_applies_exactly_the_approved_plan_file(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    github.commit_pulls[SHA] = [31]
    seen: dict[str, bytes] = {}

    def approve(job: str, environment: str) -> bool:
        if environment == "prod":  # the reviewer reads the prod plan the plan job just uploaded
            seen["prod"] = approving.artifacts["plan-prod"].read_bytes()
            assert "## ComfyOps plan: prod" in github.comment_bodies(31)[-1]
        return True

    approving = WorkflowRun()
    result = run_apply(github, checkout, state_dir, tmp_path, approve=approve, into=approving)
    assert {k: j.outcome for k, j in result.jobs.items()} == dict.fromkeys(APPLY_JOBS, "success"), failures(result)
    assert [result.jobs[k].environment for k in APPLY_JOBS] == ["staging-read", "staging", "prod-read", "prod"]
    staging = result.jobs["apply-staging"]
    assert "## ComfyOps apply" in staging.summary and "### ComfyOps smoke tests" in staging.summary
    assert "media-sdxl-txt2img-staging" in staging.summary
    assert "media-sdxl-txt2img-prod" in result.jobs["apply-prod"].summary
    # byte for byte: the file the reviewer saw is the file apply ran
    applied = next(tmp_path.glob("scratch-*/job-apply-prod/approved/plan.json"))
    assert applied.read_bytes() == seen["prod"]
    checksum = json.loads(seen["prod"])["checksum"]
    assert f"Applying the saved plan approved/plan.json ({checksum}): still current" in (
        result.jobs["apply-prod"].step("Apply the approved plan and smoke-test").stderr
    )
    # one sticky comment per environment on the merged pull request: the plan, then the outcome
    bodies = github.comment_bodies(31)
    assert [b.splitlines()[:2] for b in bodies] == [
        ["<!-- comfyops-comment: apply-staging -->", "## ComfyOps apply to staging: done"],
        ["<!-- comfyops-comment: apply-prod -->", "## ComfyOps apply to prod: done"],
    ]
    # a fresh snapshot after each apply: a pull request opened now plans against what was applied
    assert [n for n, _ in result.uploads].count("comfyops-snapshot-prod") == 2
    assert_no_secret(result)
    for env in ("staging", "prod"):  # the pictures: one HTML page per environment, linked from the summary
        page = result.artifacts[f"comfyops-smoke-{env}"].read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and f"media-sdxl-txt2img-{env}" in page
        assert re.search(r'<img src="data:image/(png|jpeg);base64,', page)
        assert re.search(r"\[the smoke report\]\(https://github\.example\.test/octo/deployments/actions/runs/4242/"
                         r"artifacts/\d+\) \(HTML: received, golden, difference\)", result.jobs[f"apply-{env}"].summary)
        assert "GitHub removes data: images from Markdown" in result.jobs[f"apply-{env}"].summary


def run_apply(
    github: FakeGitHub,
    checkout: Path,
    state_dir: Path,
    tmp_path: Path,
    *,
    approve: Approver | None = None,
    into: WorkflowRun | None = None,
) -> WorkflowRun:
    """A push to main runs comfyops-apply.yml; ``into`` receives the run's artifacts as they are uploaded."""
    return run(
        "comfyops-apply.yml",
        github,
        checkout,
        state_dir,
        tmp_path,
        event_name="push",
        event=PUSH,
        approve=approve,
        record=into,
    )


def test_an_approved_plan_is_refused_once_live_state_changed(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    github.commit_pulls[SHA] = [31]

    def approve(job: str, environment: str) -> bool:
        if environment == "prod":  # while the reviewer reads, someone edits prod in the RunComfy UI
            _edit_live(state_dir, "media-sdxl-txt2img-prod", max_instances=9)
        return True

    run_apply(github, checkout, state_dir, tmp_path)  # the deployments exist
    github.comments.clear()
    target = checkout / "deployments" / "txt2img.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("queue_size: 2", "queue_size: 3"), encoding="utf-8")
    result = run_apply(github, checkout, state_dir, tmp_path, approve=approve)
    prod = result.jobs["apply-prod"]
    assert prod.outcome == "failure"
    step = prod.step("Apply the approved plan and smoke-test")
    assert (
        step.code == 1
        and "plan is stale: media-sdxl-txt2img-prod" in step.stderr
        and "changed in RunComfy" in step.stderr
    )
    live = _live(state_dir, "media-sdxl-txt2img-prod")
    assert (live["max_instances"], live["queue_size"]) == (9, 2)  # nothing was applied over it
    [_, prod_comment] = github.comment_bodies(31)
    assert prod_comment.startswith("<!-- comfyops-comment: apply-prod -->\n## ComfyOps apply to prod failed")
    assert "Re-run all jobs" in prod_comment


def test_two_merges_in_a_row_never_apply_the_older_plan_over_newer_manifests(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    run_apply(github, checkout, state_dir, tmp_path)  # the deployments exist
    target = checkout / "deployments" / "txt2img.yaml"
    original = target.read_text(encoding="utf-8")
    assert "queue_size: 2" in original

    def second_merge_lands(job: str, environment: str) -> bool:
        if environment == "prod":  # merge 2 lands while merge 1's prod apply waits for its reviewer
            target.write_text(original.replace("queue_size: 2", "queue_size: 4"), encoding="utf-8")
        return True

    target.write_text(original.replace("queue_size: 2", "queue_size: 3"), encoding="utf-8")  # merge 1
    first = run_apply(github, checkout, state_dir, tmp_path, approve=second_merge_lands)
    assert first.jobs["apply-staging"].outcome == "success"
    refused = first.jobs["apply-prod"].step("Apply the approved plan and smoke-test")
    assert (
        refused.outcome == "failure"
        and "plan is stale: the manifests changed since the plan was made" in refused.stderr
    )
    assert _live(state_dir, "media-sdxl-txt2img-prod")["queue_size"] == 2  # merge 1's plan never ran on prod

    # merge 2's run was queued behind merge 1's (one concurrency group, never cancelled while running)
    second = run_apply(github, checkout, state_dir, tmp_path)
    assert all(j.outcome == "success" for j in second.jobs.values()), failures(second)
    assert _live(state_dir, "media-sdxl-txt2img-prod")["queue_size"] == 4
    assert _live(state_dir, "media-sdxl-txt2img-staging")["queue_size"] == 4


def test_a_rejected_approval_applies_nothing(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    result = run_apply(github, checkout, state_dir, tmp_path, approve=lambda job, env: env != "prod")
    assert result.jobs["apply-staging"].outcome == "success" and result.jobs["apply-prod"].outcome == "failure"
    assert result.jobs["apply-prod"].steps == []
    assert _live(state_dir, "media-sdxl-txt2img-prod") == {}


def test_a_failed_apply_comments_on_the_merged_pull_request(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path, state: EmulatorState
) -> None:
    github.commit_pulls[SHA] = [31]
    state.configure(fail_next_runs=1)
    result = run_apply(github, checkout, state_dir, tmp_path)
    staging = result.jobs["apply-staging"]
    assert staging.outcome == "failure"
    assert staging.step("Apply the approved plan and smoke-test").code == 1
    assert result.jobs["plan-prod"].outcome == "skipped"  # prod is never planned or applied after staging failed
    [body] = github.comment_bodies(31)
    assert body.startswith("<!-- comfyops-comment: apply-staging -->\n## ComfyOps apply to staging failed")
    assert "Re-run all jobs" in body and "https://github.example.test/octo/deployments/actions/runs/4242" in body
    assert "## ComfyOps apply" in body  # the apply report itself follows
    assert "[the smoke report](https://github.example.test/octo/deployments/actions/runs/4242/artifacts/" in body
    assert github.mutations() == [  # the plan was posted first, then replaced by the outcome
        ("POST", "/repos/octo/deployments/issues/31/comments"),
        ("PATCH", f"/repos/octo/deployments/issues/comments/{github.comments[31][0]['id']}"),
    ]


def test_drift_opens_updates_and_closes_one_issue_per_environment(
    github: FakeGitHub, checkout: Path, state_dir: Path, tmp_path: Path
) -> None:
    applied = run_apply(github, checkout, state_dir, tmp_path)
    assert all(j.outcome == "success" for j in applied.jobs.values())

    in_sync = run("comfyops-drift.yml", github, checkout, state_dir, tmp_path, event_name="schedule", event={})
    assert all(j.outcome == "success" for j in in_sync.jobs.values()), in_sync
    assert github.issues == [] and github.mutations() == []

    before = _edit_live(state_dir, "media-sdxl-txt2img", max_instances=9)
    drifted = run("comfyops-drift.yml", github, checkout, state_dir, tmp_path, event_name="schedule", event={})
    assert all(j.outcome == "success" for j in drifted.jobs.values())
    assert sorted(i["title"] for i in github.issues) == ["ComfyOps drift: prod", "ComfyOps drift: staging"]
    assert all(i["state"] == "open" and "max_instances" in i["body"] for i in github.issues)
    for issue in github.issues:  # each issue names its environment in its title and its body
        env = issue["title"].removeprefix("ComfyOps drift: ")
        assert f"## ComfyOps drift: {env}\n" in issue["body"] and f"-{env}" in issue["body"]
    assert github.labels == ["comfyops-drift"]  # created once, for the first issue
    assert [i["labels"] for i in github.issues] == [[{"name": "comfyops-drift"}]] * 2
    assert publish_snapshots(github, drifted) == ["comfyops-snapshot-staging", "comfyops-snapshot-prod"]
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


def _live(state_dir: Path, name: str) -> dict[str, Any]:
    """The live deployment named ``name`` as the API lists it ({} when there is none)."""
    import httpx

    from reconciler.emulator.embedded import EmbeddedEmulator

    with EmbeddedEmulator(state_dir, read_only=True) as emu:
        listed = httpx.get(f"{emu.base_url}/prod/v2/deployments", headers={"Authorization": "Bearer t"}).json()
    return next((d for d in listed if d["name"] == name), {})


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
