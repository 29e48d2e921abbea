"""Who the token acts as, over respx: a user token, the Actions token (403 on /user), GHES, and failing closed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from reconciler.github import identity
from reconciler.github.client import GitHubClient, build_http_client, settings_from_env
from reconciler.github.errors import GitHubApiError, GitHubError

API = "https://api.github.com"
INTEGRATION = {"message": "Resource not accessible by integration", "status": "403"}


@pytest.fixture
def router() -> Iterator[respx.Router]:
    router = respx.Router(assert_all_called=True)
    yield router
    router.assert_all_called()


def login(router: respx.Router, env: dict[str, str] | None = None, api: str = API) -> str:
    settings = settings_from_env({"GITHUB_TOKEN": "tok", "GITHUB_REPOSITORY": "octo/deploys", "GITHUB_API_URL": api})
    client = GitHubClient(build_http_client(settings, transport=httpx.MockTransport(router.handler)),
                          sleep=lambda s: None)
    return identity.token_login(client, env or {})


def test_a_user_token_is_its_user(router: respx.Router) -> None:
    router.get(f"{API}/user").respond(200, json={"login": "octocat", "type": "User"})
    assert login(router) == "octocat"


def test_the_actions_token_is_found_through_the_graphql_viewer(router: respx.Router) -> None:
    router.get(f"{API}/user").respond(403, json=INTEGRATION)
    graphql = router.post(f"{API}/graphql").respond(200, json={"data": {"viewer": {"login": "github-actions[bot]"}}})
    assert login(router) == "github-actions[bot]"
    assert b"viewer" in graphql.calls.last.request.content


def test_an_app_token_is_its_bot(router: respx.Router) -> None:
    router.get(f"{API}/user").respond(403, json=INTEGRATION)
    router.post(f"{API}/graphql").respond(200, json={"data": {"viewer": {"login": "deploy-app[bot]"}}})
    assert login(router, {"GITHUB_ACTIONS": "true"}) == "deploy-app[bot]"


def test_enterprise_server_graphql_is_beside_the_rest_api(router: respx.Router) -> None:
    base = "https://ghe.example.test/api/v3"
    router.get(f"{base}/user").respond(403, json=INTEGRATION)
    router.post("https://ghe.example.test/api/graphql").respond(200, json={"data": {"viewer": {"login": "bot"}}})
    assert login(router, api=base) == "bot"


@pytest.mark.parametrize(
    "graphql",
    [
        httpx.Response(200, json={"errors": [{"message": "Resource not accessible by integration"}]}),
        httpx.Response(403, json=INTEGRATION),
        httpx.Response(200, text="not json"),
    ],
    ids=["graphql-errors", "graphql-403", "not-json"],
)
def test_on_actions_a_token_that_says_nothing_is_the_actions_bot(router: respx.Router, graphql: httpx.Response) -> None:
    router.get(f"{API}/user").respond(403, json=INTEGRATION)
    router.post(f"{API}/graphql").mock(return_value=graphql)
    assert login(router, {"GITHUB_ACTIONS": "true"}) == identity.ACTIONS_BOT


def test_elsewhere_a_token_that_says_nothing_stops_the_command(router: respx.Router) -> None:
    router.get(f"{API}/user").respond(403, json=INTEGRATION)
    router.post(f"{API}/graphql").respond(403, json=INTEGRATION)
    with pytest.raises(GitHubError, match="cannot tell which account GITHUB_TOKEN acts as"):
        login(router, {"GITHUB_ACTIONS": "false"})


def test_a_bad_token_is_an_error_not_a_guess(router: respx.Router) -> None:
    router.get(f"{API}/user").respond(401, json={"message": "Bad credentials"})
    with pytest.raises(GitHubApiError, match="HTTP 401"):
        login(router, {"GITHUB_ACTIONS": "true"})


def test_graphql_url() -> None:
    assert identity.graphql_url(httpx.URL("https://api.github.com")) == "https://api.github.com/graphql"
    assert identity.graphql_url(httpx.URL("https://h.test/api/v3/")) == "https://h.test/api/graphql"
    assert identity.graphql_url(httpx.URL("http://127.0.0.1:5/api/v3")) == "http://127.0.0.1:5/api/graphql"
