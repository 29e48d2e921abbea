"""Check runs and artifact downloads over respx: create then update, size limits, which artifact is trusted,
the storage redirect that never receives the token, and zip members that are refused."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from reconciler.github import artifacts, checks, labels
from reconciler.github.client import GitHubClient, build_http_client, settings_from_env
from reconciler.github.errors import GitHubApiError, GitHubError

TOKEN = "ghs_secret_token_value_123"
API = "https://api.github.com"
REPO = "octo/deploys"
SHA = "a" * 40


def make(router: respx.Router) -> GitHubClient:
    settings = settings_from_env({"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": API})
    return GitHubClient(
        build_http_client(settings, transport=httpx.MockTransport(router.handler)), sleep=lambda _: None
    )


@pytest.fixture
def router() -> Iterator[respx.Router]:
    router = respx.Router(assert_all_called=True)
    yield router
    router.assert_all_called()


def body(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


# -- check runs ------------------------------------------------------------------------------------


def test_a_check_run_is_created_then_updated_and_another_tools_check_is_left_alone(router: respx.Router) -> None:
    listed = router.get(f"{API}/repos/{REPO}/commits/{SHA}/check-runs").mock(
        side_effect=[
            httpx.Response(200, json={"total_count": 1, "check_runs": [{"id": 5, "name": "comfyops plan (prod)"}]}),
            httpx.Response(
                200,
                json={
                    "check_runs": [
                        {"id": 5, "name": "comfyops plan (prod)"},
                        {"id": 9, "name": "comfyops plan (prod)", "external_id": "comfyops:comfyops plan (prod)"},
                    ]
                },
            ),
        ]
    )
    created = router.post(f"{API}/repos/{REPO}/check-runs").mock(
        return_value=httpx.Response(201, json={"id": 9, "html_url": "https://github.com/octo/deploys/runs/9"})
    )
    updated = router.patch(f"{API}/repos/{REPO}/check-runs/9").mock(
        return_value=httpx.Response(200, json={"id": 9, "html_url": "https://github.com/octo/deploys/runs/9"})
    )
    client = make(router)
    out = checks.output("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.", "short", "full", where="x")
    first = checks.upsert(
        client,
        repository=REPO,
        name="comfyops plan (prod)",
        head_sha=SHA,
        conclusion="success",
        output_=out,
        details_url="https://run",
    )
    assert (first.action, first.check_run_id, first.url) == ("created", 9, "https://github.com/octo/deploys/runs/9")
    sent = body(created)
    assert sent["head_sha"] == SHA and sent["status"] == "completed" and sent["conclusion"] == "success"
    assert sent["external_id"] == "comfyops:comfyops plan (prod)" and sent["details_url"] == "https://run"
    assert sent["output"] == {"title": out["title"], "summary": "short", "text": "full"}
    assert listed.calls[0].request.url.params["check_name"] == "comfyops plan (prod)"
    second = checks.upsert(
        client, repository=REPO, name="comfyops plan (prod)", head_sha=SHA, conclusion="failure", output_=out
    )
    assert second.action == "updated" and body(updated)["conclusion"] == "failure"
    assert "head_sha" not in body(updated)


def test_check_output_fits_githubs_byte_limits_and_says_where_the_rest_is() -> None:
    text = "\n\n".join(f"### change {i}\n\n" + "é" * 400 for i in range(400))  # ~330 KB of two-byte characters
    out = checks.output("x " * 900, text, text, where="the plan artifact")
    for part in ("summary", "text"):
        assert len(out[part].encode()) <= checks.OUTPUT_LIMIT
        assert out[part].startswith("### change 0") and out[part].rstrip().endswith(
            "The full plan is in the plan artifact."
        )
    assert len(out["title"]) <= checks.TITLE_LIMIT and "\n" not in out["title"]
    small = checks.output("t", "s", "x" * 100, where="w")
    assert small["text"] == "x" * 100


@pytest.mark.parametrize(("sha", "conclusion"), [("abc", "success"), (SHA, "maybe")])
def test_a_bad_sha_or_conclusion_fails_before_any_call(sha: str, conclusion: str) -> None:
    with pytest.raises(GitHubError):
        checks.upsert(
            make(respx.Router()),
            repository=REPO,
            name="n",
            head_sha=sha,
            conclusion=conclusion,
            output_=checks.output("t", "s", "x", where="w"),
        )


# -- artifacts -------------------------------------------------------------------------------------


def artifact(
    aid: int, created: str, *, branch: str = "main", fork: bool = False, name: str = "snap", expired: bool = False
) -> dict[str, Any]:
    return {
        "id": aid,
        "name": name,
        "expired": expired,
        "created_at": created,
        "workflow_run": {
            "id": 100 + aid,
            "repository_id": 1,
            "head_repository_id": 2 if fork else 1,
            "head_branch": branch,
            "head_sha": "c" * 40,
        },
    }


def test_only_the_newest_default_branch_artifact_of_this_repository_is_trusted() -> None:
    items = [
        artifact(1, "2026-12-01T00:00:00Z"),
        artifact(2, "2026-12-05T00:00:00Z", branch="feature"),  # a pull request's branch: its workflow is the PR's
        artifact(3, "2026-12-05T00:00:00Z", fork=True),  # a fork's run of a branch called main
        artifact(4, "2026-12-05T00:00:00Z", expired=True),
        artifact(5, "2026-12-05T00:00:00Z", name="snap-other"),
        artifact(6, "2026-12-03T00:00:00Z"),
    ]
    chosen = artifacts.choose(items, name="snap", branch="main")
    assert chosen is not None and chosen.id == 6 and chosen.run_id == 106
    assert artifacts.choose(items[1:5], name="snap", branch="main") is None


def zipped(members: dict[str, bytes], *, link: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def test_the_download_follows_githubs_redirect_without_the_token(router: respx.Router) -> None:
    router.get(f"{API}/repos/{REPO}/actions/artifacts").mock(
        return_value=httpx.Response(200, json={"total_count": 1, "artifacts": [artifact(7, "2026-12-05T00:00:00Z")]})
    )
    router.get(f"{API}/repos/{REPO}/actions/artifacts/7/zip").mock(
        return_value=httpx.Response(302, headers={"Location": "https://storage.example.test/blob/7?sig=signed"})
    )
    blob = router.get("https://storage.example.test/blob/7").mock(
        return_value=httpx.Response(200, content=zipped({"snapshot.json": b'{"kind": "x"}'}))
    )
    client = make(router)
    found = artifacts.newest(client, repository=REPO, name="snap", branch="main")
    assert found is not None
    archive = artifacts.download(client, repository=REPO, artifact=found)
    assert "authorization" not in {k.lower() for k in blob.calls[0].request.headers}
    assert artifacts.extract(archive, "snapshot.json") == b'{"kind": "x"}'


def test_a_download_larger_than_the_limit_is_refused(router: respx.Router) -> None:
    router.get(f"{API}/repos/{REPO}/actions/artifacts/7/zip").mock(
        return_value=httpx.Response(302, headers={"Location": "https://storage.example.test/blob/7"})
    )
    router.get("https://storage.example.test/blob/7").mock(return_value=httpx.Response(200, content=b"x" * 2048))
    with pytest.raises(GitHubApiError, match="larger than 1,024 bytes"):
        make(router).download(f"/repos/{REPO}/actions/artifacts/7/zip", permission="actions: read", max_bytes=1024)


@pytest.mark.parametrize(
    ("archive", "filename", "message"),
    [
        (zipped({"other.json": b"{}"}), "snapshot.json", "has no file 'snapshot.json' (it holds: other.json)"),
        (zipped({"../snapshot.json": b"{}"}), "../snapshot.json", "has no file"),
        (zipped({}, link="snapshot.json"), "snapshot.json", "is not a regular file"),
        (zipped({"snapshot.json": b"x" * 100}), "snapshot.json", "larger than 10 bytes"),
        (b"not a zip", "snapshot.json", "not a zip archive"),
    ],
)
def test_unusable_archive_members_are_refused(archive: bytes, filename: str, message: str) -> None:
    with pytest.raises(GitHubError, match=message.replace("(", r"\(").replace(")", r"\)")):
        artifacts.extract(archive, filename, max_bytes=10)


# -- labels ----------------------------------------------------------------------------------------


def test_a_missing_label_is_created_and_an_existing_one_left_alone(router: respx.Router) -> None:
    router.get(f"{API}/repos/{REPO}/labels/comfyops-drift").mock(return_value=httpx.Response(404, json={}))
    router.get(f"{API}/repos/{REPO}/labels/ops").mock(return_value=httpx.Response(200, json={"name": "ops"}))
    created = router.post(f"{API}/repos/{REPO}/labels").mock(return_value=httpx.Response(201, json={}))
    assert labels.ensure(make(router), repository=REPO, names=["comfyops-drift", "ops", "comfyops-drift"]) == [
        "comfyops-drift"
    ]
    assert body(created)["name"] == "comfyops-drift" and len(created.calls) == 1
