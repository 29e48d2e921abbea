"""The GitHub use cases: the sticky pull-request comment, the drift issue, the snapshot artifact, the check run.

Effectful, no printing: each returns what it did for the command to say. The GitHub client is built here
(:func:`github`), once per command, from ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` (or ``repo``) and
``GITHUB_API_URL``; the work itself is in :mod:`reconciler.github`. Every text sent is scrubbed of the token
first. On GitHub Actions, :func:`step_outputs` writes what a command did to ``$GITHUB_OUTPUT`` for later
steps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reconciler import workspace
from reconciler.github import artifacts, checks, comments, fit, identity, issues
from reconciler.github import labels as labels_
from reconciler.github.client import GitHubClient, GitHubSettings, build_http_client, repo_path, settings_from_env
from reconciler.github.errors import GitHubError, scrub
from reconciler.render import plan as plan_report
from reconciler.render import style
from reconciler.session import planfiles


@contextmanager
def github(repo: str | None) -> Iterator[tuple[GitHubSettings, GitHubClient]]:
    """The command's one GitHub client and its settings (closed on exit)."""
    settings = settings_from_env(os.environ, repo=repo)
    with build_http_client(settings) as http:
        yield settings, GitHubClient(http)


def job_summary(settings: GitHubSettings) -> str:
    """Where the full report is: this run's job summary (a link on GitHub Actions)."""
    return f"the [job summary]({settings.run_url})" if settings.run_url else "the job summary"


def step_outputs(**values: str) -> None:
    """Write ``key=value`` lines to ``$GITHUB_OUTPUT`` (keys with ``-`` for ``_``), when it is set."""
    target = os.environ.get("GITHUB_OUTPUT", "").strip()
    if not target:
        return
    lines = (f"{key.replace('_', '-')}={' '.join(value.splitlines())}\n" for key, value in values.items())
    workspace.append_text(Path(target), "".join(lines), make_folders=False)


def comment(text: str, *, repo: str | None, pull_request: int | None, commit: str | None, marker: str,
            full_report: str | None) -> comments.CommentResult | None:
    """Create or update the one comment for ``marker`` on a pull request (``pull_request``, else the one
    ``commit`` was merged from); None when no pull request contains ``commit``."""
    comments.marker_line(marker)  # a bad marker fails before any call
    with github(repo) as (settings, client):
        where = full_report or job_summary(settings)
        body = comments.compose(scrub(text, (settings.token,)), marker=marker, where=where)
        if pull_request is None:
            assert commit is not None
            found = comments.pull_requests_of_commit(client, repository=settings.repository, sha=commit)
            if not found:
                return None
            pull_request = found[0]
        return comments.upsert(
            client, repository=settings.repository, pull_request=pull_request, body=body, marker=marker,
            author=identity.token_login(client, os.environ),
        )


@dataclass(frozen=True)
class Synced:
    """The drift issue synced, and the labels created in the repository on the way."""

    result: issues.IssueResult
    labels_created: tuple[str, ...]


def issue(text: str, *, repo: str | None, title: str, labels: tuple[str, ...], close_if_empty: bool) -> Synced:
    """Open, update, reopen or close the one issue titled ``title`` with ``text`` (cut to GitHub's limit)."""
    with github(repo) as (settings, client):
        body = scrub(text, (settings.token,))
        if body.strip():
            notice = (
                f"> [!NOTE]\n> This report was cut to fit GitHub's {comments.COMMENT_LIMIT:,}-character "
                f"limit. The full report is in {job_summary(settings)}."
            )
            body = fit.fit(body.replace("\r\n", "\n"), comments.COMMENT_LIMIT, notice)
        created = tuple(labels_.ensure(client, repository=settings.repository, names=labels)) if body.strip() else ()
        note = issues.IN_SYNC_COMMENT + (f" ({settings.run_url})" if settings.run_url else "")
        result = issues.sync(
            client, repository=settings.repository, title=title, body=body,
            author=identity.token_login(client, os.environ), labels=labels, close_if_empty=close_if_empty,
            closing_note=note,
        )
    return Synced(result=result, labels_created=created)


@dataclass(frozen=True)
class Downloaded:
    """The artifact a file was taken from, and the branch its run was on."""

    artifact: artifacts.Artifact
    branch: str


def download(*, repo: str | None, name: str, filename: str, out: Path, branch: str | None) -> Downloaded:
    """Write ``filename`` of the newest artifact ``name`` uploaded by a run on ``branch`` (default: the
    repository's default branch) to ``out``."""
    with github(repo) as (settings, client):
        if not branch:
            info = client.get(repo_path(settings.repository), permission="contents: read")
            branch = str(info.get("default_branch") or "") if isinstance(info, dict) else ""
            if not branch:
                raise GitHubError("cannot tell the repository's default branch (hint: pass --branch main)")
        found = artifacts.newest(client, repository=settings.repository, name=name, branch=branch)
        if found is None:
            raise GitHubError(
                f"no artifact {name!r} from a run on {branch} (hint: run the workflow that uploads it on {branch}, "
                "e.g. the drift workflow with `Run workflow`; artifacts expire after their retention days)"
            )
        content = artifacts.extract(
            artifacts.download(client, repository=settings.repository, artifact=found), filename
        )
    workspace.write_bytes(out, content)
    return Downloaded(artifact=found, branch=branch)


@dataclass(frozen=True)
class CheckReport:
    """What a check run shows: its title, conclusion, summary and text."""

    title: str
    conclusion: str
    summary: str
    text: str


def plan_check(plan_file: Path) -> CheckReport:
    """A saved plan as a check run: its summary sentence as the title, ``failure`` when a policy denies it."""
    plan = planfiles.load(plan_file)
    return CheckReport(
        title=style.summary_sentence(plan.summary),
        conclusion="failure" if plan.policy is not None and plan.policy.denied else "success",
        summary=plan_report.render_plan_brief(plan, max_chars=checks.OUTPUT_LIMIT),
        text=plan_report.render_plan_markdown(plan, max_chars=10 * checks.OUTPUT_LIMIT),
    )


def check(report: CheckReport, *, repo: str | None, name: str, head_sha: str,
          details_url: str | None) -> checks.CheckResult:
    """Create or update the check run ``name`` on ``head_sha`` showing ``report``."""
    with github(repo) as (settings, client):
        secrets = (settings.token,)
        where = f"the plan artifact of [this run]({settings.run_url})" if settings.run_url else "the plan artifact"
        return checks.upsert(
            client,
            repository=settings.repository,
            name=name,
            head_sha=head_sha,
            conclusion=report.conclusion,
            output_=checks.output(scrub(report.title, secrets), scrub(report.summary, secrets),
                                  scrub(report.text, secrets), where=where),
            details_url=details_url or settings.run_url,
        )
