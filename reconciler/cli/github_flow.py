"""``comfyops github download|check``: the snapshot a pull-request plan reads, and the plan as a check run.

Beside ``cli.github``; the use cases are :mod:`reconciler.session.publishing`:

- ``download`` fetches the newest artifact of that name uploaded by a run on the default branch
  (:mod:`reconciler.github.artifacts`) with the job's read-only token (``actions: read``) and writes
  its one file: how a pull-request job gets the live snapshot without any RunComfy credential;
- ``check`` publishes a saved plan as a check run per environment (:mod:`reconciler.github.checks`):
  the summary sentence as its title, the short plan as its summary and the full plan as its text.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import output
from reconciler.github import checks
from reconciler.session import publishing

_REPO_OPTION = click.option("--repo", metavar="OWNER/NAME", help="The repository (default: $GITHUB_REPOSITORY).")


@click.command("download")
@click.option(
    "--artifact", "name", required=True, metavar="NAME", help="The artifact's name, e.g. comfyops-snapshot-prod."
)
@click.option(
    "--file", "filename", required=True, metavar="FILE", help="The file to take out of it, e.g. snapshot.json."
)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Where to write it.")
@click.option("--branch", metavar="BRANCH", help="Only artifacts of runs on this branch (default: the default branch).")
@_REPO_OPTION
def download(name: str, filename: str, out: Path, branch: str | None, repo: str | None) -> None:
    """Download FILE from the newest artifact NAME uploaded by a run on the default branch.

    \b
    Needs `actions: read`. Artifacts of pull-request runs, other branches and forks are never taken:
    their workflow is not the reviewed one.
    """
    done = publishing.download(repo=repo, name=name, filename=filename, out=out, branch=branch)
    found = done.artifact
    output.echo(
        f"Downloaded {filename} of artifact {name} (run {found.run_id} on {done.branch}, "
        f"commit {found.head_sha[:12]}, uploaded {found.created_at}) to {out}"
    )
    publishing.step_outputs(artifact_id=str(found.id), run_id=str(found.run_id), head_sha=found.head_sha,
                            created_at=found.created_at)


@click.command("check")
@click.option(
    "--name", required=True, metavar="NAME", help='The check\'s name, one per environment, e.g. "comfyops plan (prod)".'
)
@click.option(
    "--sha", "head_sha", required=True, metavar="SHA", help="The commit to put the check on (the pull request's head)."
)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A saved plan (`plan --out FILE`): its summary is the title, its full plan the text.",
)
@click.option(
    "--body-file",
    "body_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Instead of --plan: Markdown for the check (e.g. why no plan was made), with --title and --conclusion.",
)
@click.option("--title", help="With --body-file: the check's title.")
@click.option("--conclusion", type=click.Choice(checks.CONCLUSIONS), help="With --body-file: the check's conclusion.")
@click.option("--details-url", metavar="URL", help="A link for the check's Details (default: this workflow run).")
@_REPO_OPTION
def check(
    name: str,
    head_sha: str,
    plan_file: Path | None,
    body_file: Path | None,
    title: str | None,
    conclusion: str | None,
    details_url: str | None,
    repo: str | None,
) -> None:
    """Create or update the check run NAME on SHA with a plan (needs `checks: write`).

    With --plan the conclusion is `failure` when a policy denies the plan, else `success`.
    """
    from reconciler.cli.github import _read_body

    if (plan_file is None) == (body_file is None):
        raise click.UsageError("give exactly one of --plan FILE and --body-file FILE")
    if body_file is not None and (not title or not conclusion):
        raise click.UsageError("--body-file needs --title and --conclusion")
    if plan_file is not None:
        report = publishing.plan_check(plan_file)
    else:
        assert body_file is not None and title is not None and conclusion is not None
        body = _read_body(body_file)
        report = publishing.CheckReport(title=title, conclusion=conclusion, summary=body, text=body)
    result = publishing.check(report, repo=repo, name=name, head_sha=head_sha, details_url=details_url)
    output.echo(f"{result.action.capitalize()} check run {result.check_run_id} ({name}): {result.url or head_sha[:12]}")
    publishing.step_outputs(action=result.action, check_run_id=str(result.check_run_id), check_url=result.url)


def register(group: click.Group) -> None:
    """Add ``download`` and ``check`` to the ``comfyops github`` group."""
    group.add_command(download)
    group.add_command(check)
