"""GitHubClient over respx: settings from the environment, GHE base URLs, pagination, errors and rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from reconciler.github import errors
from reconciler.github.client import GitHubClient, build_http_client, settings_from_env
from reconciler.retry import RetryPolicy

TOKEN = "ghs_secret_token_value_123"
API = "https://api.github.com"
NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def make(router: respx.Router, *, api_url: str = API, sleeps: list[float] | None = None) -> GitHubClient:
    settings = settings_from_env(
        {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo/deploys", "GITHUB_API_URL": api_url}
    )
    http = build_http_client(settings, transport=httpx.MockTransport(router.handler))
    recorded = sleeps if sleeps is not None else []
    return GitHubClient(
        http,
        sleep=recorded.append,
        rng=lambda: 1.0,
        wall_clock=lambda: NOW,
        policy=RetryPolicy(base=1.0, max_attempts=4, max_retry_after=300.0),
    )


@pytest.fixture
def router() -> Iterator[respx.Router]:
    router = respx.Router(assert_all_called=True)
    yield router
    router.assert_all_called()


def test_settings_come_from_the_environment_and_hide_the_token() -> None:
    settings = settings_from_env(
        {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": "octo/deploys",
            "GITHUB_RUN_ID": "42",
            "GITHUB_SERVER_URL": "https://ghe.example.test",
        }
    )
    assert settings.api_url == API
    assert settings.run_url == "https://ghe.example.test/octo/deploys/actions/runs/42"
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "GITHUB_TOKEN is not set"),
        ({"GITHUB_TOKEN": "t"}, "GITHUB_REPOSITORY is not set (hint: pass --repo OWNER/NAME)"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "no-slash"}, "repository 'no-slash' is not OWNER/NAME"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "a/b", "GITHUB_API_URL": "ftp://x"}, "is not an http(s) URL"),
    ],
)
def test_missing_or_bad_settings_are_one_line_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(errors.GitHubError) as info:
        settings_from_env(env)
    assert message in info.value.summary
    assert "\n" not in info.value.summary


def test_requests_carry_the_token_and_api_version(router: respx.Router) -> None:
    route = router.get(f"{API}/repos/octo/deploys").respond(200, json={"ok": True})
    assert make(router).get("/repos/octo/deploys", permission="contents: read") == {"ok": True}
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert request.headers["Accept"] == "application/vnd.github+json"


def test_github_enterprise_base_url_keeps_its_path(router: respx.Router) -> None:
    ghe = "https://ghe.example.test/api/v3"
    route = router.get(f"{ghe}/repos/octo/deploys/issues/1/comments").respond(200, json=[])
    client = make(router, api_url=ghe + "/")
    assert list(client.paginate("/repos/octo/deploys/issues/1/comments", permission="pull-requests: write")) == []
    assert route.calls.last.request.url.params["per_page"] == "100"


def test_pagination_follows_link_headers(router: respx.Router) -> None:
    first = f"{API}/repos/octo/deploys/issues/1/comments"
    second = f"{API}/repositories/9/issues/1/comments?page=2&per_page=100"
    router.get(second).respond(200, json=[{"id": 3}])
    router.get(first).respond(
        200, json=[{"id": 1}, {"id": 2}], headers={"Link": f'<{second}>; rel="next", <{second}>; rel="last"'}
    )
    items = list(make(router).paginate("/repos/octo/deploys/issues/1/comments", permission="p"))
    assert [i["id"] for i in items] == [1, 2, 3]


def test_a_next_page_on_another_host_never_gets_the_token(router: respx.Router) -> None:
    router.get(f"{API}/repos/octo/deploys/issues").respond(
        200, json=[], headers={"Link": '<https://evil.example.test/steal?page=2>; rel="next"'}
    )
    with pytest.raises(errors.GitHubApiError, match="another host"):
        list(make(router).paginate("/repos/octo/deploys/issues", permission="issues: write"))


def test_403_not_accessible_by_integration_names_the_missing_permission(router: respx.Router) -> None:
    router.post(f"{API}/repos/octo/deploys/issues/5/comments").respond(
        403,
        json={"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"},
    )
    with pytest.raises(errors.GitHubApiError) as info:
        make(router).post("/repos/octo/deploys/issues/5/comments", {"body": "x"}, permission="pull-requests: write")
    assert info.value.summary == (
        "GitHub API: POST /repos/octo/deploys/issues/5/comments: HTTP 403: Resource not accessible by integration "
        "(hint: add `pull-requests: write` to the job's `permissions:`)"
    )


def test_404_is_one_line_with_a_hint_and_not_retried(router: respx.Router) -> None:
    route = router.get(f"{API}/repos/octo/nope/issues/1/comments").respond(404, json={"message": "Not Found"})
    with pytest.raises(errors.GitHubApiError) as info:
        list(make(router).paginate("/repos/octo/nope/issues/1/comments", permission="pull-requests: write"))
    assert route.call_count == 1
    assert info.value.summary.startswith("GitHub API: GET /repos/octo/nope/issues/1/comments: HTTP 404: Not Found")
    assert "check GITHUB_REPOSITORY" in info.value.summary


def test_401_never_shows_the_token_even_when_the_body_echoes_it(router: respx.Router) -> None:
    router.get(f"{API}/repos/octo/deploys").respond(401, json={"message": f"Bad credentials {TOKEN}"})
    with pytest.raises(errors.GitHubApiError) as info:
        make(router).get("/repos/octo/deploys", permission="contents: read")
    assert TOKEN not in str(info.value) and TOKEN not in info.value.summary
    assert "Bad credentials ***" in info.value.summary
    assert "GITHUB_TOKEN is missing, invalid or expired" in info.value.summary


def test_429_with_retry_after_is_retried_after_that_long(router: respx.Router) -> None:
    sleeps: list[float] = []
    route = router.get(f"{API}/repos/octo/deploys")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}, json={"message": "slow down"}),
        httpx.Response(200, json={"ok": 1}),
    ]
    assert make(router, sleeps=sleeps).get("/repos/octo/deploys", permission="p") == {"ok": 1}
    assert sleeps == [7.0]


def test_403_primary_rate_limit_waits_until_the_reset(router: respx.Router) -> None:
    sleeps: list[float] = []
    reset = int(NOW.timestamp()) + 30
    route = router.post(f"{API}/repos/octo/deploys/issues")
    route.side_effect = [
        httpx.Response(
            403,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
            json={"message": "API rate limit exceeded for installation ID 1."},
        ),
        httpx.Response(201, json={"number": 7}),
    ]
    # a rate-limited create was refused, not processed: retrying it cannot create twice
    assert make(router, sleeps=sleeps).post("/repos/octo/deploys/issues", {"title": "t"}, permission="p") == {
        "number": 7
    }
    assert sleeps == [31.0]


def test_secondary_rate_limit_without_headers_waits_a_minute(router: respx.Router) -> None:
    sleeps: list[float] = []
    route = router.get(f"{API}/repos/octo/deploys")
    route.side_effect = [
        httpx.Response(403, json={"message": "You have exceeded a secondary rate limit. Please wait."}),
        httpx.Response(200, json={}),
    ]
    make(router, sleeps=sleeps).get("/repos/octo/deploys", permission="p")
    assert sleeps == [60.0]


def test_a_rate_limit_reset_too_far_away_escalates_with_the_reset_time(router: respx.Router) -> None:
    sleeps: list[float] = []
    reset = int(NOW.timestamp()) + 3600
    router.get(f"{API}/repos/octo/deploys").respond(
        403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
        json={"message": "API rate limit exceeded"},
    )
    with pytest.raises(errors.RateLimitedError) as info:
        make(router, sleeps=sleeps).get("/repos/octo/deploys", permission="p")
    assert sleeps == []
    assert "it resets at 13:00:00 UTC" in info.value.summary


def test_rate_limits_give_up_after_the_policy_attempts(router: respx.Router) -> None:
    sleeps: list[float] = []
    route = router.get(f"{API}/repos/octo/deploys").respond(429, headers={"Retry-After": "1"})
    with pytest.raises(errors.RateLimitedError):
        make(router, sleeps=sleeps).get("/repos/octo/deploys", permission="p")
    assert route.call_count == 4 and sleeps == [1.0, 1.0, 1.0]


def test_5xx_retries_a_patch_but_never_a_post(router: respx.Router) -> None:
    sleeps: list[float] = []
    patch = router.patch(f"{API}/repos/octo/deploys/issues/comments/1")
    patch.side_effect = [httpx.Response(502), httpx.Response(200, json={"id": 1})]
    post = router.post(f"{API}/repos/octo/deploys/issues/1/comments").respond(502)
    client = make(router, sleeps=sleeps)
    assert client.patch("/repos/octo/deploys/issues/comments/1", {"body": "x"}, permission="p") == {"id": 1}
    with pytest.raises(errors.GitHubApiError, match="HTTP 502"):
        client.post("/repos/octo/deploys/issues/1/comments", {"body": "x"}, permission="p")
    assert patch.call_count == 2 and post.call_count == 1


def test_a_403_that_is_not_a_rate_limit_is_not_retried(router: respx.Router) -> None:
    route = router.get(f"{API}/repos/octo/deploys").respond(403, json={"message": "Must have admin rights"})
    with pytest.raises(errors.GitHubApiError, match="the job needs `permissions: contents: read`"):
        make(router).get("/repos/octo/deploys", permission="contents: read")
    assert route.call_count == 1


def test_connection_failures_are_one_line_and_retried_for_get(router: respx.Router) -> None:
    sleeps: list[float] = []
    route = router.get(f"{API}/repos/octo/deploys")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json={})]
    make(router, sleeps=sleeps).get("/repos/octo/deploys", permission="p")
    assert len(sleeps) == 1
