"""``comfyops github comment|issue``: the sticky pull-request comment and the one-issue-per-title drift issue.

Effectful shell. The GitHub client is built here, once per command, from ``GITHUB_TOKEN``,
``GITHUB_REPOSITORY`` (or ``--repo``) and ``GITHUB_API_URL``; the work is in ``reconciler.github``.
Each command prints one line saying what it did and, on GitHub Actions, writes the same facts to
``$GITHUB_OUTPUT`` for later steps.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from reconciler import workspace
from reconciler.cli import output
from reconciler.github import comments, fit, identity, issues
from reconciler.github import labels as labels_
from reconciler.github.client import GitHubClient, GitHubSettings, build_http_client, settings_from_env
from reconciler.github.errors import GitHubError, scrub

_REPO_OPTION = click.option("--repo", metavar="OWNER/NAME", help="The repository (default: $GITHUB_REPOSITORY).")
_BODY_OPTION = click.option(
    "--body-file",
    "body_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Markdown file with the body ('-' reads standard input).",
)


@click.group("github")
def command() -> None:
    """Post ComfyOps reports to GitHub: the sticky pull-request comment and the drift issue.

    \b
    Needs GITHUB_TOKEN and GITHUB_REPOSITORY (set on GitHub Actions); GITHUB_API_URL points at
    GitHub Enterprise Server (https://HOST/api/v3).
    """


@command.command("comment")
@click.option("--pr", "pull_request", type=click.IntRange(min=1), metavar="N", help="The pull request number.")
@click.option(
    "--commit",
    "commit",
    metavar="SHA",
    help='Instead of --pr: the pull request this commit was merged from (e.g. "$GITHUB_SHA").',
)
@_BODY_OPTION
@click.option(
    "--marker",
    default=comments.DEFAULT_MARKER,
    show_default=True,
    metavar="ID",
    help="Which ComfyOps comment to create or update (one per marker, e.g. plan-staging).",
)
@click.option(
    "--full-report",
    "full_report",
    metavar="TEXT",
    help="Where the full report is, said when the body is cut (default: this run's job summary).",
)
@_REPO_OPTION
def comment(
    pull_request: int | None,
    commit: str | None,
    body_file: Path,
    marker: str,
    full_report: str | None,
    repo: str | None,
) -> None:
    """Create or update the one ComfyOps comment for MARKER on a pull request."""
    if (pull_request is None) == (commit is None):
        raise click.UsageError("give exactly one of --pr N and --commit SHA")
    comments.marker_line(marker)  # a bad marker fails before any call
    text = _read_body(body_file)
    with _client(repo) as (settings, client):
        where = full_report or _job_summary(settings)
        body = comments.compose(scrub(text, (settings.token,)), marker=marker, where=where)
        if pull_request is None:
            assert commit is not None
            found = comments.pull_requests_of_commit(client, repository=settings.repository, sha=commit)
            if not found:
                output.echo(f"No pull request contains commit {commit[:12]}; nothing to comment on.", err=True)
                _outputs(action="none")
                return
            pull_request = found[0]
        result = comments.upsert(
            client, repository=settings.repository, pull_request=pull_request, body=body, marker=marker,
            author=identity.token_login(client, os.environ),
        )
    verb = {"created": "Created", "updated": "Updated", "unchanged": "Unchanged:"}[result.action]
    output.echo(
        f"{verb} comment {result.comment_id} ({marker}) on pull request #{result.pull_request}"
        + (f": {result.url}" if result.url else "")
    )
    _outputs(
        action=result.action,
        comment_id=str(result.comment_id),
        comment_url=result.url,
        pull_request=str(result.pull_request),
    )


@command.command("issue")
@click.option("--title", required=True, help="The issue's title: one issue per title is kept.")
@_BODY_OPTION
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="LABEL",
    help="Label for a new issue (repeatable); created in the repository when missing.",
)
@click.option("--close-if-empty", is_flag=True, help="An empty body closes the open issue with an 'in sync' comment.")
@_REPO_OPTION
def issue(title: str, body_file: Path, labels: tuple[str, ...], close_if_empty: bool, repo: str | None) -> None:
    """Open, update, reopen or close the one issue titled TITLE (for the drift report)."""
    if not title.strip():
        raise click.UsageError("--title must not be empty")
    text = _read_body(body_file)
    with _client(repo) as (settings, client):
        body = scrub(text, (settings.token,))
        if body.strip():
            notice = (
                f"> [!NOTE]\n> This report was cut to fit GitHub's {comments.COMMENT_LIMIT:,}-character "
                f"limit. The full report is in {_job_summary(settings)}."
            )
            body = fit.fit(body.replace("\r\n", "\n"), comments.COMMENT_LIMIT, notice)
        if body.strip():
            for name in labels_.ensure(client, repository=settings.repository, names=labels):
                output.echo(f"Created the label {name!r}")
        note = issues.IN_SYNC_COMMENT + (f" ({settings.run_url})" if settings.run_url else "")
        result = issues.sync(
            client,
            repository=settings.repository,
            title=title.strip(),
            body=body,
            author=identity.token_login(client, os.environ),
            labels=labels,
            close_if_empty=close_if_empty,
            closing_note=note,
        )
    messages = {
        "opened": "Opened issue #{n}",
        "updated": "Updated issue #{n}",
        "reopened": "Reopened issue #{n}",
        "closed": "Closed issue #{n}: in sync again",
        "unchanged": "Issue #{n} is up to date",
    }
    if result.action == "none":
        output.echo(f"No open issue titled {title.strip()!r} and nothing to report.")
    else:
        line = messages[result.action].format(n=result.number)
        output.echo(line + (f": {result.url}" if result.url and result.action != "closed" else ""))
    _outputs(action=result.action, issue_number=str(result.number or ""), issue_url=result.url)


@contextmanager
def _client(repo: str | None) -> Iterator[tuple[GitHubSettings, GitHubClient]]:
    settings = settings_from_env(os.environ, repo=repo)
    with build_http_client(settings) as http:
        yield settings, GitHubClient(http)


def _read_body(path: Path) -> str:
    try:
        if str(path) == "-":
            return sys.stdin.read()
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GitHubError(
            f"{path}: no such file (hint: write the report there first, e.g. "
            "`comfyops plan --format markdown > plan.md`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise GitHubError(f"{path}: cannot read the body: {reason}") from None


def _job_summary(settings: GitHubSettings) -> str:
    return f"the [job summary]({settings.run_url})" if settings.run_url else "the job summary"


def _outputs(**values: str) -> None:
    target = os.environ.get("GITHUB_OUTPUT", "").strip()
    if not target:
        return
    lines = (f"{key.replace('_', '-')}={' '.join(value.splitlines())}\n" for key, value in values.items())
    workspace.append_text(Path(target), "".join(lines), make_folders=False)


def _register_flow_commands() -> None:
    """``github download`` and ``github check`` live in ``cli.github_flow`` (the snapshot and check-run flow)."""
    from reconciler.cli import github_flow

    github_flow.register(command)


_register_flow_commands()
