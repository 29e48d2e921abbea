"""``comfyops github comment|issue``: the sticky pull-request comment and the one-issue-per-title drift issue.

The use cases are :mod:`reconciler.session.publishing` (which builds the GitHub client, once per command,
from ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` (or ``--repo``) and ``GITHUB_API_URL``). Each command prints
one line saying what it did and, on GitHub Actions, writes the same facts to ``$GITHUB_OUTPUT`` for later
steps.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import readfile
from reconciler.cli import output
from reconciler.github import comments
from reconciler.github.errors import GitHubError
from reconciler.session import publishing

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
    result = publishing.comment(_read_body(body_file), repo=repo, pull_request=pull_request, commit=commit,
                                marker=marker, full_report=full_report)
    if result is None:
        assert commit is not None
        output.echo(f"No pull request contains commit {commit[:12]}; nothing to comment on.", err=True)
        publishing.step_outputs(action="none")
        return
    verb = {"created": "Created", "updated": "Updated", "unchanged": "Unchanged:"}[result.action]
    output.echo(
        f"{verb} comment {result.comment_id} ({marker}) on pull request #{result.pull_request}"
        + (f": {result.url}" if result.url else "")
    )
    publishing.step_outputs(
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
    synced = publishing.issue(_read_body(body_file), repo=repo, title=title.strip(), labels=labels,
                              close_if_empty=close_if_empty)
    for name in synced.labels_created:
        output.echo(f"Created the label {name!r}")
    result = synced.result
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
    publishing.step_outputs(action=result.action, issue_number=str(result.number or ""), issue_url=result.url)


def _read_body(path: Path) -> str:
    try:
        if str(path) == "-":
            return sys.stdin.read()
        return readfile.read_text(path, limit=readfile.SMALL_LIMIT)
    except readfile.FileProblem as exc:
        if not exc.missing:
            raise GitHubError(f"{path}: cannot read the body: {exc.message}") from None
        raise GitHubError(
            f"{path}: no such file (hint: write the report there first, e.g. "
            "`comfyops plan --format markdown > plan.md`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise GitHubError(f"{path}: cannot read the body: {reason}") from None


def _register_flow_commands() -> None:
    """``github download`` and ``github check`` live in ``cli.github_flow`` (the snapshot and check-run flow)."""
    from reconciler.cli import github_flow

    github_flow.register(command)


_register_flow_commands()
