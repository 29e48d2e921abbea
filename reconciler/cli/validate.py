"""``comfyops validate``: check manifests, workflow files and overrides offline."""

from __future__ import annotations

import click

from reconciler.cli.manifests import files_option, load_desired


@click.command("validate")
@files_option
def command(files: tuple[str, ...]) -> None:
    """Check manifests offline: schema, references, limits, and overrides against workflow files."""
    state = load_desired(files)
    deployments, presets = len(state.deployments), len(state.presets)
    click.echo(
        f"{deployments} deployment{'s' if deployments != 1 else ''}, "
        f"{presets} preset{'s' if presets != 1 else ''}: valid"
    )
