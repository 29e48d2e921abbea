"""``comfyops github comment|issue``, ``--summary`` and annotations, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import respx

API = "https://api.github.com"
TOKEN = "ghs_cli_token_do_not_print"
BOT = "comfyops-ci"


@pytest.fixture
def gh_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/deploys")
    monkeypatch.setenv("GITHUB_RUN_ID", "77")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    (tmp_path / "body.md").write_text("<!-- comfyops:plan -->\n## ComfyOps plan\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return output


def test_comment_creates_and_reports_outputs(run_cli: Any, gh_env: Path) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/user").respond(200, json={"login": BOT})
        mock.get(f"{API}/repos/octo/deploys/issues/5/comments").respond(200, json=[])
        post = mock.post(f"{API}/repos/octo/deploys/issues/5/comments").respond(
            201, json={"id": 321, "html_url": "https://github.com/octo/deploys/pull/5#issuecomment-321"}
        )
        result = run_cli("github", "comment", "--pr", "5", "--body-file", "body.md", "--marker", "plan-staging")
    assert result.code == 0, result
    assert result.out == (
        "Created comment 321 (plan-staging) on pull request #5: "
        "https://github.com/octo/deploys/pull/5#issuecomment-321\n"
    )
    body = json.loads(post.calls.last.request.content)["body"]
    assert body.startswith("<!-- comfyops-comment: plan-staging -->\n<!-- comfyops:plan -->\n")
    assert gh_env.read_text() == (
        "action=created\ncomment-id=321\ncomment-url=https://github.com/octo/deploys/pull/5#issuecomment-321\n"
        "pull-request=5\n"
    )


def test_comment_on_the_pull_request_of_a_commit(run_cli: Any, gh_env: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/repos/octo/deploys/commits/{sha}/pulls").respond(
            200, json=[{"number": 12, "merged_at": "2026-11-27T00:00:00Z"}]
        )
        mock.get(f"{API}/user").respond(200, json={"login": BOT})
        mock.get(f"{API}/repos/octo/deploys/issues/12/comments").respond(200, json=[])
        mock.post(f"{API}/repos/octo/deploys/issues/12/comments").respond(201, json={"id": 1})
        result = run_cli("github", "comment", "--commit", sha, "--body-file", "body.md", "--marker", "apply-prod")
    assert result.code == 0, result
    assert "on pull request #12" in result.out


def test_a_commit_without_pull_request_is_not_an_error(run_cli: Any, gh_env: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/repos/octo/deploys/commits/{sha}/pulls").respond(200, json=[])
        result = run_cli("github", "comment", "--commit", sha, "--body-file", "body.md")
    assert result.code == 0
    assert "No pull request contains commit 0123456789ab; nothing to comment on." in result.err


def test_403_is_one_line_with_the_permission_hint_and_no_token(run_cli: Any, gh_env: Path) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/user").respond(200, json={"login": BOT})
        mock.get(f"{API}/repos/octo/deploys/issues/5/comments").respond(200, json=[])
        mock.post(f"{API}/repos/octo/deploys/issues/5/comments").respond(
            403, json={"message": "Resource not accessible by integration"}
        )
        result = run_cli("github", "comment", "--pr", "5", "--body-file", "body.md")
    assert result.code == 1
    assert result.err == (
        "error: GitHub API: POST /repos/octo/deploys/issues/5/comments: HTTP 403: Resource not accessible by "
        "integration (hint: add `pull-requests: write` to the job's `permissions:`)\n"
    )
    assert TOKEN not in result.out + result.err


def test_a_decoy_marker_comment_is_left_alone_and_reported_with_v(run_cli: Any, gh_env: Path) -> None:
    decoy = {"id": 50, "body": "<!-- comfyops-comment: plan -->\nfake plan", "user": {"login": "mallory"}}
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/user").respond(403, json={"message": "Resource not accessible by integration"})
        mock.post(f"{API}/graphql").respond(200, json={"data": {"viewer": {"login": "github-actions[bot]"}}})
        mock.get(f"{API}/repos/octo/deploys/issues/5/comments").respond(200, json=[decoy])
        post = mock.post(f"{API}/repos/octo/deploys/issues/5/comments").respond(201, json={"id": 51})
        result = run_cli("-v", "github", "comment", "--pr", "5", "--body-file", "body.md")
    assert result.code == 0, result
    assert result.out.startswith("Created comment 51 (plan) on pull request #5")
    assert post.call_count == 1
    assert "ignoring comment 50 on pull request #5: it carries the 'plan' marker but was written by 'mallory'" in (
        result.err
    )


def test_a_decoy_drift_issue_is_left_alone(run_cli: Any, gh_env: Path, tmp_path: Path) -> None:
    (tmp_path / "drift.md").write_text("## drift\n", encoding="utf-8")
    decoy = {"number": 3, "title": "drift: prod", "state": "open", "body": "x", "user": {"login": "mallory"}}
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/user").respond(200, json={"login": BOT})
        mock.get(f"{API}/repos/octo/deploys/issues").respond(200, json=[decoy])
        mock.post(f"{API}/repos/octo/deploys/issues").respond(201, json={"number": 4, "html_url": "https://i/4"})
        result = run_cli("github", "issue", "--title", "drift: prod", "--body-file", "drift.md")
    assert result.code == 0 and result.out == "Opened issue #4: https://i/4\n"


def test_a_token_in_the_body_is_never_posted(run_cli: Any, gh_env: Path, tmp_path: Path) -> None:
    (tmp_path / "leak.md").write_text(f"oops {TOKEN}\n", encoding="utf-8")
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/user").respond(200, json={"login": BOT})
        mock.get(f"{API}/repos/octo/deploys/issues/5/comments").respond(200, json=[])
        post = mock.post(f"{API}/repos/octo/deploys/issues/5/comments").respond(201, json={"id": 2})
        assert run_cli("github", "comment", "--pr", "5", "--body-file", "leak.md").code == 0
    assert TOKEN not in post.calls.last.request.content.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--body-file", "body.md"), "give exactly one of --pr N and --commit SHA"),
        (("--pr", "5", "--body-file", "missing.md"), "missing.md: no such file"),
        (("--pr", "5", "--body-file", "body.md", "--marker", "a b"), "marker 'a b' is not a valid id"),
    ],
)
def test_usage_problems_fail_before_any_call(run_cli: Any, gh_env: Path, args: tuple[str, ...], message: str) -> None:
    with respx.mock(assert_all_mocked=True):
        result = run_cli("github", "comment", *args)
    assert result.code == 1 and message in result.err


def test_missing_token_says_how_to_pass_it(run_cli: Any, gh_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    result = run_cli("github", "comment", "--pr", "5", "--body-file", "body.md")
    assert result.code == 1
    assert (
        "error: GITHUB_TOKEN is not set (hint: add `env: GITHUB_TOKEN: ${{ github.token }}` to the step)" in result.err
    )


def test_enterprise_api_url(run_cli: Any, gh_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.test/api/v3")
    with respx.mock(assert_all_called=True) as mock:
        mock.get("https://ghe.example.test/api/v3/user").respond(200, json={"login": BOT})
        mock.get("https://ghe.example.test/api/v3/repos/octo/deploys/issues/5/comments").respond(200, json=[])
        mock.post("https://ghe.example.test/api/v3/repos/octo/deploys/issues/5/comments").respond(201, json={"id": 3})
        assert run_cli("github", "comment", "--pr", "5", "--body-file", "body.md").code == 0


def test_issue_opens_then_closes_when_empty(run_cli: Any, gh_env: Path, tmp_path: Path) -> None:
    (tmp_path / "drift.md").write_text("## drift\n", encoding="utf-8")
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/user").respond(200, json={"login": BOT})
        mock.get(f"{API}/repos/octo/deploys/labels/drift").respond(200, json={"name": "drift"})
        mock.get(f"{API}/repos/octo/deploys/issues").respond(200, json=[])
        mock.post(f"{API}/repos/octo/deploys/issues").respond(201, json={"number": 8, "html_url": "https://i/8"})
        opened = run_cli("github", "issue", "--title", "drift: prod", "--body-file", "drift.md", "--label", "drift")
    assert opened.code == 0 and opened.out == "Opened issue #8: https://i/8\n"
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/user").respond(200, json={"login": BOT})
        mock.get(f"{API}/repos/octo/deploys/issues").respond(
            200,
            json=[{"number": 8, "title": "drift: prod", "state": "open", "body": "## drift", "user": {"login": BOT}}],
        )
        note = mock.post(f"{API}/repos/octo/deploys/issues/8/comments").respond(201, json={"id": 1})
        mock.patch(f"{API}/repos/octo/deploys/issues/8").respond(200, json={})
        closed = run_cli("github", "issue", "--title", "drift: prod", "--body-file", "empty.md", "--close-if-empty")
    assert closed.code == 0 and closed.out == "Closed issue #8: in sync again\n"
    assert "https://github.com/octo/deploys/actions/runs/77" in json.loads(note.calls.last.request.content)["body"]


def test_plan_appends_the_full_plan_to_the_step_summary(
    run_cli: Any, write_files: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.emulated import FAST_SETTINGS, deployment_yaml

    repo = write_files({"s.yaml": FAST_SETTINGS, "d.yaml": deployment_yaml("t2i", workflow_file=False)})
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert run_cli("--emulator", "plan", "-f", str(repo), "--format", "json").code == 0
    text = summary.read_text(encoding="utf-8")
    assert "## ComfyOps plan" in text and "**Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.**" in text
    summary.unlink()
    assert run_cli("--emulator", "plan", "-f", str(repo), "--no-summary").code == 0
    assert not summary.exists()


def test_validate_annotates_problems_on_github_actions(
    run_cli: Any, write_files: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write_files({"d.yaml": "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n"})
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = run_cli("validate", "-f", "d.yaml")
    assert result.code == 1
    assert "::error file=d.yaml,line=4,col=1,title=comfyops::spec.workflow_id: required field is missing" in result.err
    assert "❌ **manifests are invalid: 2 problems**" in summary.read_text(encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert "::error" not in run_cli("validate", "-f", "d.yaml").err


def test_show_and_a_second_report_append_to_the_same_summary(
    run_cli: Any, write_files: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.emulated import FAST_SETTINGS, deployment_yaml

    repo = write_files({"s.yaml": FAST_SETTINGS, "d.yaml": deployment_yaml("t2i", workflow_file=False)})
    summary = tmp_path / "summary.md"
    assert (
        run_cli("--emulator", "plan", "-f", str(repo), "--out", str(tmp_path / "plan.json"), "--no-summary").code == 0
    )
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert run_cli("show", str(tmp_path / "plan.json")).code == 0
    assert run_cli("validate", "-f", str(repo)).code == 0
    text = summary.read_text(encoding="utf-8")
    assert text.index("## ComfyOps plan") < text.index("### ComfyOps validate")
    assert "✅ **1 deployment, 0 presets: valid**" in text


def test_an_unwritable_summary_is_a_warning_not_a_failure(
    run_cli: Any, write_files: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.emulated import FAST_SETTINGS, deployment_yaml

    repo = write_files({"s.yaml": FAST_SETTINGS, "d.yaml": deployment_yaml("t2i", workflow_file=False)})
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "no-such-dir" / "summary.md"))
    result = run_cli("validate", "-f", str(repo))
    assert result.code == 0
    assert "warning: cannot write the step summary" in result.err


def test_drift_and_status_append_to_the_step_summary(
    run_cli: Any, write_files: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.emulated import FAST_SETTINGS, deployment_yaml

    repo = write_files({"s.yaml": FAST_SETTINGS, "d.yaml": deployment_yaml("t2i", workflow_file=False)})
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert run_cli("--emulator", "drift", "-f", str(repo), "--format", "json").code == 2
    assert run_cli("--emulator", "status", "-f", str(repo)).code == 0
    text = summary.read_text(encoding="utf-8")
    assert "t2i" in text and "### ComfyOps status\n\n```text\n" in text
    assert text.index("t2i") < text.index("### ComfyOps status")
