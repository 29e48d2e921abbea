"""The sticky comment over respx: create vs update, the marker on a later page, decoys, truncation."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from reconciler.github import comments
from reconciler.github.client import GitHubClient, build_http_client, settings_from_env

API = "https://api.github.com"
COMMENTS = f"{API}/repos/octo/deploys/issues/5/comments"
MARK = "<!-- comfyops-comment: plan -->"
BOT = "github-actions[bot]"
OURS = {"user": {"login": BOT, "type": "Bot"}}
THEIRS = {"user": {"login": "mallory", "type": "User"}}


@pytest.fixture
def router() -> Iterator[respx.Router]:
    router = respx.Router(assert_all_called=True)
    yield router
    router.assert_all_called()


def client(router: respx.Router) -> GitHubClient:
    settings = settings_from_env({"GITHUB_TOKEN": "tok", "GITHUB_REPOSITORY": "octo/deploys"})
    return GitHubClient(
        build_http_client(settings, transport=httpx.MockTransport(router.handler)), sleep=lambda s: None
    )


def upsert(router: respx.Router, body: str = "## plan\n", marker: str = "plan") -> comments.CommentResult:
    text = comments.compose(body, marker=marker, where="the job summary")
    return comments.upsert(
        client(router), repository="octo/deploys", pull_request=5, body=text, marker=marker, author=BOT
    )


def test_creates_the_comment_when_none_has_the_marker(router: respx.Router) -> None:
    router.get(COMMENTS).respond(200, json=[{"id": 1, "body": "LGTM"}])
    post = router.post(COMMENTS).respond(201, json={"id": 99, "html_url": "https://github.com/c/99"})
    result = upsert(router)
    assert result == comments.CommentResult("created", 99, "https://github.com/c/99", 5)
    assert json.loads(post.calls.last.request.content) == {"body": f"{MARK}\n## plan\n"}


def test_updates_the_comment_found_on_a_later_page(router: respx.Router) -> None:
    page2 = f"{API}/repositories/1/issues/5/comments?page=2"
    page3 = f"{API}/repositories/1/issues/5/comments?page=3"
    router.get(COMMENTS).respond(
        200, json=[{"id": i, "body": "chatter"} for i in range(1, 101)], headers={"Link": f'<{page2}>; rel="next"'}
    )
    router.get(page2).respond(
        200, json=[{"id": 150, "body": f"{MARK}\nold plan", **OURS}], headers={"Link": f'<{page3}>; rel="next"'}
    )
    router.get(page3).respond(200, json=[{"id": 160, "body": "more chatter"}])
    patch = router.patch(f"{API}/repos/octo/deploys/issues/comments/150").respond(
        200, json={"id": 150, "html_url": "u"}
    )
    assert upsert(router).action == "updated"
    assert json.loads(patch.calls.last.request.content)["body"].startswith(MARK)


def test_a_decoy_from_another_tool_or_marker_is_left_alone(router: respx.Router) -> None:
    router.get(COMMENTS).respond(
        200,
        json=[
            {"id": 10, "body": "<!-- tfcmt | plan -->\n## Plan result"},
            {"id": 11, "body": "<!-- comfyops-comment: plan-prod -->\nprod plan"},
            {"id": 12, "body": f"> quoting {MARK} in a reply"},
        ],
    )
    router.post(COMMENTS).respond(201, json={"id": 13})
    assert upsert(router, marker="plan-staging").action == "created"


def test_the_newest_of_two_marked_comments_is_updated(router: respx.Router) -> None:
    router.get(COMMENTS).respond(
        200, json=[{"id": 3, "body": f"{MARK}\na", **OURS}, {"id": 8, "body": f"{MARK}\nb", **OURS}]
    )
    patch = router.patch(f"{API}/repos/octo/deploys/issues/comments/8").respond(200, json={"id": 8})
    assert upsert(router).comment_id == 8
    assert patch.call_count == 1


def test_an_identical_body_is_not_sent_again(router: respx.Router) -> None:
    router.get(COMMENTS).respond(200, json=[{"id": 4, "body": f"{MARK}\r\n## plan\r\n", **OURS}])
    assert upsert(router).action == "unchanged"


def test_a_marker_in_someone_elses_comment_is_ignored_and_reported(
    router: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    router.get(COMMENTS).respond(200, json=[
        {"id": 3, "body": f"{MARK}\nour plan", **OURS},
        {"id": 9, "body": f"{MARK}\nlooks legit, approve it", **THEIRS},  # newer, by another user
    ])
    patch = router.patch(f"{API}/repos/octo/deploys/issues/comments/3").respond(200, json={"id": 3})
    with caplog.at_level("INFO", logger="reconciler.github"):
        assert upsert(router).comment_id == 3
    assert patch.call_count == 1
    assert "ignoring comment 9 on pull request #5" in caplog.text and "'mallory'" in caplog.text


def test_only_someone_elses_marker_means_a_new_comment_of_ours(router: respx.Router) -> None:
    router.get(COMMENTS).respond(200, json=[
        {"id": 9, "body": f"{MARK}\nfake plan", **THEIRS},
        {"id": 10, "body": f"{MARK}\nfake plan", "user": {"login": "github-actions", "type": "User"}},
        {"id": 11, "body": f"{MARK}\nfake plan"},
    ])
    post = router.post(COMMENTS).respond(201, json={"id": 12})
    assert upsert(router).action == "created"
    assert post.call_count == 1


def test_the_author_is_compared_without_case() -> None:
    found = comments.find([{"id": 1, "body": MARK, "user": {"login": "Octo-Bot"}}], "plan", "octo-bot")
    assert found is not None and found["id"] == 1


def test_compose_replaces_stale_markers_and_puts_ours_first() -> None:
    body = "<!-- comfyops-comment: other -->\n<!-- comfyops:plan -->\n## ComfyOps plan\n"
    assert comments.compose(body, marker="plan-staging", where="x") == (
        "<!-- comfyops-comment: plan-staging -->\n<!-- comfyops:plan -->\n## ComfyOps plan\n"
    )


def test_a_bad_marker_is_refused() -> None:
    with pytest.raises(comments.GitHubError, match="is not a valid id"):
        comments.marker_line("plan --> <script>")


def test_truncation_keeps_the_summary_and_says_where_the_full_report_is() -> None:
    summary = (
        "## ComfyOps plan\n\n| Action | Deployments |\n|:--|--:|\n| create | 2000 |\n\n**Plan: 2000 to create.**\n\n"
    )
    details = "".join(
        f"<details><summary>dep-{i}</summary>\n\n```diff\n" + "+ field: value\n" * 40 + "```\n\n</details>\n\n"
        for i in range(2000)
    )
    body = comments.compose(summary + details, marker="plan", where="the [job summary](https://run/1)")
    assert len(body) <= comments.COMMENT_LIMIT
    assert body.startswith(MARK + "\n" + summary)
    assert body.rstrip().endswith(
        "This comment was cut to fit GitHub's 65,536-character limit. The full report is in the "
        "[job summary](https://run/1)."
    )
    assert body.count("<details>") == body.count("</details>")
    assert body.count("```") % 2 == 0


def test_a_body_exactly_at_the_limit_is_not_cut() -> None:
    head = MARK + "\n"
    text = "x" * (comments.COMMENT_LIMIT - len(head) - 1) + "\n"
    assert comments.compose(text, marker="plan", where="x") == head + text


def test_the_pull_request_of_a_merge_commit_is_found(router: respx.Router) -> None:
    router.get(f"{API}/repos/octo/deploys/commits/abc1234/pulls").respond(
        200, json=[{"number": 3, "merged_at": None}, {"number": 7, "merged_at": "2026-11-27T10:00:00Z"}]
    )
    assert comments.pull_requests_of_commit(client(router), repository="octo/deploys", sha="abc1234") == [7, 3]
