"""``comfyops fmt [-f PATH]... [--check] [--diff]``: rewrite manifests into the canonical layout.

The use case is :mod:`reconciler.session.formatting`: it finds the manifest files as every command does
(``-f`` files or folders; in a folder only files with an ``apiVersion: comfyops/...`` document), formats
each with :func:`reconciler.manifest.fmt.format_text`, and writes the changed ones whole (temporary file and
rename, never through a symlink, mode kept). ``--check`` writes nothing and exits 1 when a file would
change, listing it; ``--diff`` prints what changes as a unified diff. Like ``terraform fmt``, it prints the
name of every file it changed.
"""

from __future__ import annotations

import difflib

import click

from reconciler.cli import output
from reconciler.cli.manifests import remember_files
from reconciler.errors import ReconcilerError
from reconciler.session import formatting


@click.command("fmt")
@click.option("-f", "--file", "paths", multiple=True, type=click.Path(path_type=str), callback=remember_files,
              help="Manifest file or folder (repeatable; folders are searched for *.yaml/*.yml). Default: .")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and list the files that are not formatted.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff.")
def command(paths: tuple[str, ...], check: bool, show_diff: bool) -> int:
    """Rewrite manifests in the canonical layout: key order as import writes it, two-space indentation,
    double quotes; comments kept, meaning never changed."""
    collected = formatting.collect(paths)
    output.diagnostics(collected.problems)
    failed = len(collected.problems)
    changed: list[str] = []
    for done in formatting.format_files(collected, write=not check):
        failed += done.failed
        _say(done, show_diff=show_diff, check=check)
        if done.result in (formatting.Result.CHANGED, formatting.Result.NOT_WRITTEN):
            changed.append(done.shown)
    if failed:
        raise ReconcilerError(f"fmt: {failed} file{'s' if failed != 1 else ''} could not be formatted "
                              "(see above); the others were handled")
    if check and changed:
        count = len(changed)
        raise ReconcilerError(f"{count} file{'s are' if count != 1 else ' is'} not in the canonical layout",
                              "run `comfyops fmt` to rewrite them (`comfyops fmt --diff` shows the changes)")
    return 0


def _say(done: formatting.FileFormatted, *, show_diff: bool, check: bool) -> None:
    """Say what happened to one file: its problems, its diff (``--diff``), its name when it changed."""
    out = output.current()
    if done.result is formatting.Result.UNREADABLE:
        out.diagnostics(done.problems)
    elif done.result is formatting.Result.REFUSED:
        out.error(done.reason)
    if done.result not in (formatting.Result.CHANGED, formatting.Result.NOT_WRITTEN):
        return
    if show_diff:
        diff = difflib.unified_diff(done.before.splitlines(keepends=True), done.after.splitlines(keepends=True),
                                    f"{done.shown} (as written)", f"{done.shown} (formatted)")
        out.echo("".join(diff), nl=False)
    if check:
        out.echo(done.shown if not show_diff else f"would reformat {done.shown}", err=show_diff)
    elif done.through_link:
        out.error(f"{done.shown}: not formatted: {done.reason}", "format the file the link points to, by its own path")
    elif done.result is formatting.Result.NOT_WRITTEN:
        out.error(f"could not write {done.shown}: {done.reason}")
    else:
        out.echo(done.shown)
