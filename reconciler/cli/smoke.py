"""``comfyops smoke``: run the smoke tests of the manifests' deployments against live RunComfy.

Effectful shell: loads manifests, connects, calls :func:`reconciler.smoke.runner.run_smoke`, prints
the report (secrets scrubbed) and writes JUnit XML. Exit 0 when everything passed or was skipped,
1 when anything failed or errored, or when every test was skipped (nothing was tested: a CI gate must
not pass on that; ``--allow-skipped`` accepts it), 130 after Ctrl-C (every in-flight request is
cancelled first).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler import readfile, workspace
from reconciler.cli import gallery, interrupted, output
from reconciler.cli.manifests import files_option, load_desired
from reconciler.cli.output import use_color
from reconciler.cli.summary import publish, summary_option
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState
from reconciler.render import smoke as smoke_render
from reconciler.session import applylock, smoking
from reconciler.session.session import Session
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport


def recorded_lines(report: SmokeReport) -> list[str]:
    """``Wrote golden <path> (...)`` for every golden ``--update-goldens`` wrote, in report order."""
    return [
        f"Wrote golden {g.golden} ({r.name}: output {json.dumps(g.output)} {g.channel}, request {r.request_id})"
        for r in report.results for g in r.goldens if g.recorded
    ]


def _finish_interrupted(app: Session, desired: DesiredState, files: tuple[str, ...], fmt: str) -> int | None:
    """Finish an interrupted ``apply --smoke`` the journal records for this target, holding the apply lock; an
    apply still running keeps its own journal (a note says so)."""
    start = Path(files[0]) if files else Path.cwd()
    start = start if start.is_dir() else start.parent
    journal_path = workspace.apply_journal(start)
    if not readfile.is_present(journal_path):
        return None
    try:
        with applylock.apply_lock(workspace.apply_lock(start), timeout=0, note=output.current().note, command="smoke"):
            return interrupted.finish(app, desired, journal_path, fmt, use_color(no_color_flag=app.no_color),
                                      register_workflows=False)
    except applylock.LockBusy as busy:
        output.current().note(f"note: not finishing the interrupted apply in {journal_path}: {busy.summary}")
        return None


@click.command("smoke")
@files_option
@click.option("--target", "targets", multiple=True, metavar="NAME",
              help="Only deployments whose name matches (repeatable; globs like media-*).")
@click.option("--junit", "junit", type=click.Path(path_type=Path, dir_okay=False), help="Write JUnit XML here.")
@click.option("--format", "fmt", type=click.Choice(smoke_render.FORMATS), default="text", show_default=True)
@click.option("--concurrency", type=click.IntRange(1, runner.MAX_CONCURRENCY), default=None,
              help="Smoke tests run at once (default: all of them, up to 64; all share the client's rate limit).")
@click.option("--update-goldens", "update_goldens", is_flag=True,
              help="Record each output's golden (similar_to) from this run instead of comparing; only runs that pass "
              "their other checks are recorded. Prints every file written.")
@gallery.html_option
@click.option("--allow-skipped", is_flag=True,
              help="Exit 0 when every test was skipped (by default that is an error: nothing was tested).")
@summary_option
@click.pass_obj
def command(app: Session, files: tuple[str, ...], targets: tuple[str, ...], junit: Path | None, fmt: str,
            concurrency: int | None, update_goldens: bool, html_file: Path | None, allow_skipped: bool,
            summary: bool) -> int:
    """Submit each deployment's sample request, check its outputs against spec.smoke.expect, clean up."""
    desired = load_desired(files)
    stop = _finish_interrupted(app, desired, files, fmt)
    if stop is not None:
        return stop
    chosen = smoking.select(app, desired, targets)
    if not chosen:
        output.echo("No deployment declares spec.smoke; nothing to test.", err=True)
        return 0
    if update_goldens and not any(d.goldens for d in chosen if d.smoke is not None):
        output.echo("No selected deployment's spec.smoke.expect names a golden (similar_to); nothing to record.",
                    err=True)
    report = smoking.smoke_test(app, desired, chosen, concurrency=concurrency, update_goldens=update_goldens,
                                keep_outputs=html_file is not None)
    text = smoke_render.render(report, fmt)
    output.echo(text, nl=not text.endswith("\n"))
    note = gallery.write_or_warn(html_file, [report])
    publish(summary, lambda: smoke_render.render(report, "markdown") + (f"\n{note}\n" if note else ""))
    if junit is not None:
        workspace.write_text(junit, output.current().mask(smoke_render.junit(report)))
        output.echo(f"Wrote JUnit XML to {junit}", err=True)
    for line in recorded_lines(report):
        output.echo(line)
    if report.interrupted:
        raise KeyboardInterrupt
    if report.ok and report.nothing_ran and not allow_skipped:
        count = len(report.results)
        raise ReconcilerError(
            f"no smoke test ran: all {count} {'were' if count != 1 else 'was'} skipped (see the reasons above)",
            "deploy first (`comfyops apply`), or pass --allow-skipped when a run that tests nothing is expected",
        )
    return 0 if report.ok else 1
