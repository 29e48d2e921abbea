"""``comfyops github download|check``: the snapshot a pull-request plan reads, and the plan as a check run.

Effectful shell, beside ``cli.github`` (whose client and ``$GITHUB_OUTPUT`` helpers it uses):

- ``download`` fetches the newest artifact of that name uploaded by a run on the default branch
  (:mod:`reconciler.github.artifacts`) with the job's read-only token (``actions: read``) and writes
  its one file: how a pull-request job gets the live snapshot without any RunComfy credential;
- ``check`` publishes a saved plan as a check run per environment (:mod:`reconciler.github.checks`):
  the summary sentence as its title, the short plan as its summary and the full plan as its text.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import workspace
from reconciler.cli import output
from reconciler.github import artifacts, checks
from reconciler.github.client import repo_path
from reconciler.github.errors import GitHubError, scrub
from reconciler.render import markdown, style
from reconciler.session import planfiles

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
    from reconciler.cli.github import _client, _outputs

    with _client(repo) as (settings, client):
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
    output.echo(
        f"Downloaded {filename} of artifact {name} (run {found.run_id} on {branch}, commit {found.head_sha[:12]}, "
        f"uploaded {found.created_at}) to {out}"
    )
    _outputs(artifact_id=str(found.id), run_id=str(found.run_id), head_sha=found.head_sha, created_at=found.created_at)


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
    from reconciler.cli.github import _client, _outputs, _read_body

    if (plan_file is None) == (body_file is None):
        raise click.UsageError("give exactly one of --plan FILE and --body-file FILE")
    if body_file is not None and (not title or not conclusion):
        raise click.UsageError("--body-file needs --title and --conclusion")
    if plan_file is not None:
        plan = planfiles.load(plan_file)
        title = style.summary_sentence(plan.summary)
        conclusion = "failure" if plan.policy is not None and plan.policy.denied else "success"
        summary = markdown.render_plan_brief(plan, max_chars=checks.OUTPUT_LIMIT)
        text = markdown.render_plan_markdown(plan, max_chars=10 * checks.OUTPUT_LIMIT)
    else:
        assert body_file is not None and title is not None and conclusion is not None
        summary = text = _read_body(body_file)
    with _client(repo) as (settings, client):
        secrets = (settings.token,)
        where = f"the plan artifact of [this run]({settings.run_url})" if settings.run_url else "the plan artifact"
        result = checks.upsert(
            client,
            repository=settings.repository,
            name=name,
            head_sha=head_sha,
            conclusion=conclusion,
            output_=checks.output(scrub(title, secrets), scrub(summary, secrets), scrub(text, secrets), where=where),
            details_url=details_url or settings.run_url,
        )
    output.echo(f"{result.action.capitalize()} check run {result.check_run_id} ({name}): {result.url or head_sha[:12]}")
    _outputs(action=result.action, check_run_id=str(result.check_run_id), check_url=result.url)


def register(group: click.Group) -> None:
    """Add ``download`` and ``check`` to the ``comfyops github`` group."""
    group.add_command(download)
    group.add_command(check)
