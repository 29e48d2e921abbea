"""``comfyops validate``: check manifests, workflow files and overrides offline."""

from __future__ import annotations

import click

from reconciler.cli.manifests import files_option, load_desired
from reconciler.cli.summary import publish, summary_option
from reconciler.errors import DiagnosticsError
from reconciler.github.markdown import validation_markdown


@click.command("validate")
@files_option
@summary_option
def command(files: tuple[str, ...], summary: bool) -> None:
    """Check manifests offline: schema, references, limits, and overrides against workflow files."""
    try:
        state = load_desired(files)
    except DiagnosticsError as exc:
        verdict, problems = exc.summary, exc.diagnostics
        publish(summary, lambda: validation_markdown(verdict, problems))
        raise
    deployments, presets = len(state.deployments), len(state.presets)
    verdict = (
        f"{deployments} deployment{'s' if deployments != 1 else ''}, "
        f"{presets} preset{'s' if presets != 1 else ''}: valid"
    )
    click.echo(verdict)
    publish(summary, lambda: validation_markdown(verdict, []))
