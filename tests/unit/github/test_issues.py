"""One issue per title over respx: open, update, reopen, close-with-comment, and the decisions between them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from reconciler.github import issues
from reconciler.github.client import GitHubClient, build_http_client, settings_from_env
from reconciler.github.errors import GitHubApiError

API = "https://api.github.com"
ISSUES = f"{API}/repos/octo/deploys/issues"
TITLE = "ComfyOps drift: prod"
BOT = "github-actions[bot]"
OURS = {"user": {"login": BOT, "type": "Bot"}}


@pytest.fixture
def router() -> Iterator[respx.Router]:
    router = respx.Router(assert_all_called=True)
    yield router
    router.assert_all_called()


def sync(router: respx.Router, body: str, **kw: object) -> issues.IssueResult:
    settings = settings_from_env({"GITHUB_TOKEN": "tok", "GITHUB_REPOSITORY": "octo/deploys"})
    client = GitHubClient(build_http_client(settings, transport=httpx.MockTransport(router.handler)))
    return issues.sync(
        client, repository="octo/deploys", title=TITLE, body=body, author=BOT, **kw  # type: ignore[arg-type]
    )


def sent(route: respx.Route) -> dict[str, object]:
    return json.loads(route.calls.last.request.content)  # type: ignore[no-any-return]


def test_opens_an_issue_with_labels_when_none_exists(router: respx.Router) -> None:
    listing = router.get(ISSUES).respond(200, json=[{"number": 1, "title": TITLE, "pull_request": {}}])
    post = router.post(ISSUES).respond(201, json={"number": 9, "html_url": "https://github.com/i/9"})
    assert sync(router, "drift!", labels=("comfyops-drift",)) == issues.IssueResult(
        "opened", 9, "https://github.com/i/9"
    )
    assert sent(post) == {"title": TITLE, "body": "drift!", "labels": ["comfyops-drift"]}
    params = listing.calls.last.request.url.params
    assert params["state"] == "all" and "labels" not in params and params["per_page"] == "100"


def test_updates_the_open_issue_when_the_body_changed(router: respx.Router) -> None:
    router.get(ISSUES).respond(200, json=[{"number": 4, "title": TITLE, "state": "open", "body": "old", **OURS}])
    patch = router.patch(f"{ISSUES}/4").respond(200, json={})
    assert sync(router, "new").action == "updated"
    assert sent(patch) == {"body": "new"}


def test_leaves_an_up_to_date_issue_alone(router: respx.Router) -> None:
    router.get(ISSUES).respond(200, json=[{"number": 4, "title": TITLE, "state": "open", "body": "same\r\n", **OURS}])
    assert sync(router, "same\n").action == "unchanged"


def test_reopens_a_closed_issue_instead_of_opening_another(router: respx.Router) -> None:
    page2 = f"{ISSUES}?page=2"
    router.get(page2).respond(200, json=[{"number": 2, "title": TITLE, "state": "closed", "body": "x", **OURS}])
    router.get(ISSUES).respond(200, json=[{"number": 30, "title": "other"}], headers={"Link": f'<{page2}>; rel="next"'})
    patch = router.patch(f"{ISSUES}/2").respond(200, json={})
    assert sync(router, "drift again").action == "reopened"
    assert sent(patch) == {"state": "open", "body": "drift again"}


def test_closes_with_a_comment_when_in_sync_again(router: respx.Router) -> None:
    router.get(ISSUES).respond(200, json=[{"number": 6, "title": TITLE, "state": "open", "body": "drift", **OURS}])
    comment = router.post(f"{ISSUES}/6/comments").respond(201, json={"id": 1})
    patch = router.patch(f"{ISSUES}/6").respond(200, json={})
    assert sync(router, "  \n", close_if_empty=True).action == "closed"
    assert "In sync again" in str(sent(comment)["body"])
    assert sent(patch) == {"state": "closed", "state_reason": "completed"}


def test_an_empty_body_without_close_if_empty_changes_nothing(router: respx.Router) -> None:
    router.get(ISSUES).respond(200, json=[{"number": 6, "title": TITLE, "state": "open", "body": "drift", **OURS}])
    assert sync(router, "").action == "unchanged"


def test_in_sync_with_no_issue_makes_no_call_but_the_search(router: respx.Router) -> None:
    router.get(ISSUES).respond(200, json=[])
    assert sync(router, "", close_if_empty=True) == issues.IssueResult("none")


def test_issues_disabled_is_a_clear_410(router: respx.Router) -> None:
    router.get(ISSUES).respond(410, json={"message": "Issues are disabled for this repo"})
    with pytest.raises(GitHubApiError, match="issues are turned off"):
        sync(router, "x")


@pytest.mark.parametrize(
    ("state", "body", "close", "expected"),
    [
        (None, "x", False, "open"),
        (None, "", True, "nothing"),
        ("open", "x", False, "update"),
        ("open", "same", False, "nothing"),
        ("open", "", True, "close"),
        ("open", "", False, "nothing"),
        ("closed", "x", False, "reopen"),
        ("closed", "", True, "nothing"),
    ],
)
def test_decisions(state: str | None, body: str, close: bool, expected: str) -> None:
    existing = None if state is None else {"number": 1, "state": state, "body": "same"}
    assert issues.decide(existing, body, close_if_empty=close) == expected


def test_an_open_issue_wins_over_a_newer_closed_one() -> None:
    found = issues.find(
        [{"number": 9, "title": TITLE, "state": "closed", **OURS},
         {"number": 3, "title": TITLE, "state": "open", **OURS}],
        TITLE,
        BOT,
    )
    assert found is not None and found["number"] == 3


def test_a_decoy_issue_with_the_drift_title_by_someone_else_is_ignored(
    router: respx.Router, caplog: pytest.LogCaptureFixture
) -> None:
    decoy = {"number": 7, "title": TITLE, "state": "open", "body": "drift", "user": {"login": "mallory"}}
    router.get(ISSUES).respond(200, json=[decoy])
    post = router.post(ISSUES).respond(201, json={"number": 8, "html_url": "https://github.com/i/8"})
    with caplog.at_level("INFO", logger="reconciler.github"):
        assert sync(router, "real drift").action == "opened"
    assert post.call_count == 1
    assert "ignoring issue #7" in caplog.text and "'mallory'" in caplog.text


def test_a_decoy_issue_is_never_closed_or_updated(router: respx.Router) -> None:
    decoy = {"number": 7, "title": TITLE, "state": "open", "body": "drift", "user": {"login": "mallory"}}
    router.get(ISSUES).respond(200, json=[decoy])
    assert sync(router, "", close_if_empty=True) == issues.IssueResult("none")
