"""``comfyops schema``: write the manifest JSON Schemas, or check the committed ones are current."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import readfile, workspace
from reconciler.cli import output
from reconciler.errors import ReconcilerError
from reconciler.manifest.schema import schema_files


@click.command("schema")
@click.option("--out", "out_dir", default="schemas", show_default=True, type=click.Path(path_type=Path),
              help="Folder to write the schemas into (or to check).")
@click.option("--check", is_flag=True, help="Exit 1 when the files in --out differ from the generated ones.")
def command(out_dir: Path, check: bool) -> None:
    """Generate JSON Schemas for the manifest kinds (for editors and CI checks)."""
    wanted = schema_files()
    if check:
        stale = [name for name, text in sorted(wanted.items())
                 if not (out_dir / name).is_file() or _committed(out_dir / name) != text]
        if stale:
            raise ReconcilerError(
                f"schemas in {out_dir}/ are stale: {', '.join(stale)}",
                f"run `comfyops schema --out {out_dir}` and commit the result",
            )
        output.echo(f"{len(wanted)} schemas in {out_dir}/ are up to date")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(wanted.items()):
        workspace.write_text(out_dir / name, text)
        output.echo(f"wrote {out_dir / name}")


def _committed(path: Path) -> str | None:
    """The schema file as committed (None when it cannot be read as text: then it is stale)."""
    try:
        return readfile.read_text(path, limit=readfile.SMALL_LIMIT)
    except readfile.FileProblem:
        return None
