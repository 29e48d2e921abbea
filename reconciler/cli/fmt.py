"""``comfyops fmt [-f PATH]... [--check] [--diff]``: rewrite manifests into the canonical layout.

Effectful shell: finds the manifest files as every command does (``-f`` files or folders; in a
folder only files with an ``apiVersion: comfyops/...`` document), formats each with
:func:`reconciler.manifest.fmt.format_text`, and writes the changed ones whole (temporary file and
rename, never through a symlink, mode kept). ``--check`` writes nothing and exits 1 when a file would
change, listing it; ``--diff`` prints what changes as a unified diff. Like ``terraform fmt``, it prints
the name of every file it changed.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from reconciler import workspace
from reconciler.cli import output
from reconciler.cli.manifests import remember_files
from reconciler.errors import ReconcilerError
from reconciler.manifest import files, source
from reconciler.render import safe


@click.command("fmt")
@click.option("-f", "--file", "paths", multiple=True, type=click.Path(path_type=str), callback=remember_files,
              help="Manifest file or folder (repeatable; folders are searched for *.yaml/*.yml). Default: .")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and list the files that are not formatted.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff.")
def command(paths: tuple[str, ...], check: bool, show_diff: bool) -> int:
    """Rewrite manifests in the canonical layout: key order as import writes it, two-space indentation,
    double quotes; comments kept, meaning never changed."""
    from reconciler.manifest.fmt import FormatRefused, format_text, is_manifest

    collected = files.collect_all(paths or (".",))
    output.diagnostics(collected.problems)
    failed = len(collected.problems)
    changed: list[str] = []
    for file in collected.files:
        shown = safe.terminal(files.display_path(file))
        text, problems = source.read_text(file, shown)
        if text is None:
            output.diagnostics(problems)
            failed += 1
            continue
        if file not in collected.explicit and not is_manifest(text):
            continue
        try:
            formatted = format_text(text, shown)
        except FormatRefused as refused:
            output.current().error(str(refused))
            failed += 1
            continue
        if formatted == text:
            continue
        changed.append(shown)
        if show_diff:
            diff = difflib.unified_diff(text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                        f"{shown} (as written)", f"{shown} (formatted)")
            output.echo("".join(diff), nl=False)
        if check:
            output.echo(shown if not show_diff else f"would reformat {shown}", err=show_diff)
            continue
        if _write(file, shown, formatted):
            output.echo(shown)
        else:
            failed += 1
    if failed:
        raise ReconcilerError(f"fmt: {failed} file{'s' if failed != 1 else ''} could not be formatted "
                              "(see above); the others were handled")
    if check and changed:
        count = len(changed)
        raise ReconcilerError(f"{count} file{'s are' if count != 1 else ' is'} not in the canonical layout",
                              "run `comfyops fmt` to rewrite them (`comfyops fmt --diff` shows the changes)")
    return 0


def _write(file: Path, shown: str, text: str) -> bool:
    """Write the formatted ``text``; False (with the reason printed) when it cannot be written safely."""
    try:
        workspace.write_text(file, text, user_file=True)
    except workspace.UnsafePath as exc:
        output.current().error(f"{shown}: not formatted: {exc}", "format the file the link points to, by its own path")
        return False
    except OSError as exc:
        output.current().error(f"could not write {shown}: {exc.strerror or exc}")
        return False
    return True
