"""``comfyops apply [PLANFILE]``: make live RunComfy deployments match the manifests."""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click

from reconciler import workspace
from reconciler.cli import gallery, interrupted, output
from reconciler.cli.followups import followup
from reconciler.cli.manifests import files_option, load_desired, selected_environment
from reconciler.cli.output import use_color
from reconciler.cli.plan import FORMATS, plan_options
from reconciler.cli.summary import publish, summary_option
from reconciler.engine import planner
from reconciler.engine.plan import ResourceChange
from reconciler.engine.report import ApplyReport, ChangeOutcome
from reconciler.errors import ReconcilerError
from reconciler.render import render_apply, render_plan, safe
from reconciler.render.apply_smoke import render_apply_smoke
from reconciler.session import apply as applying
from reconciler.session import applylock, planfiles
from reconciler.session.planning import Planned, make_plan, refuse_denied, with_policy
from reconciler.session.policycheck import refuse_broken_policies
from reconciler.session.session import Session
from reconciler.smoke.report import SmokeReport


class _ProgressHooks:
    """Prints one line per change to stderr as apply goes (masked by the command's output)."""

    def before_change(self, change: ResourceChange) -> None:
        name = safe.terminal(change.name)
        output.echo(f"{change.action.symbol:>3} {name}: {change.action.value} ...", err=True)

    def after_change(self, outcome: ChangeOutcome) -> None:
        detail = f": {safe.terminal(outcome.message)}" if outcome.message else ""
        output.echo(f"    {safe.terminal(outcome.name)}: {outcome.outcome.value}{detail}", err=True)


def _working_copy(files: tuple[str, ...], plan_file: Path | None) -> Path:
    """The folder whose working copy holds apply's lock and journal: the first manifest's, else the plan
    file's, else the working directory."""
    start = Path(files[0]) if files else plan_file if plan_file is not None else Path.cwd()
    return start if start.is_dir() else start.parent


def _one_apply_at_a_time(func: Callable[..., int]) -> Callable[..., int]:
    """Hold ``.comfyops/apply.lock`` of the working copy (see "Concurrent runs") while ``func`` runs."""

    @functools.wraps(func)
    def locked(app: Session, *, lock_timeout: str, **options: Any) -> int:
        try:
            timeout = applylock.parse_duration(lock_timeout)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--lock-timeout") from None
        lock = workspace.apply_lock(_working_copy(options["files"], options["plan_file"]))
        with applylock.apply_lock(lock, timeout=timeout, note=output.current().note):
            return func(app, **options)

    return locked


@click.command("apply")
@click.argument("plan_file", required=False, type=click.Path(path_type=Path))
@files_option
@plan_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed change.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Format of the report.")
@click.option("--smoke", "smoke", is_flag=True, help="Then smoke-test the deployments apply created or changed.")
@click.option(
    "--rollback-on-smoke-failure",
    is_flag=True,
    help="With --smoke: restore a changed deployment's previous settings, pause a new one, when its smoke test fails.",
)
@click.option(
    "--lock-timeout",
    default="0s",
    show_default=True,
    metavar="DURATION",
    help="Wait this long (30s, 5m) for another apply in this working copy to release .comfyops/apply.lock.",
)
@gallery.html_option
@summary_option
@click.pass_obj
@_one_apply_at_a_time
def command(
    app: Session,
    plan_file: Path | None,
    files: tuple[str, ...],
    options: planner.PlanOptions,
    show_unmanaged: bool,
    auto_approve: bool,
    fail_fast: bool,
    fmt: str,
    smoke: bool,
    rollback_on_smoke_failure: bool,
    html_file: Path | None,
    summary: bool,
) -> int:
    """Apply the changes plan shows (or exactly a saved PLANFILE), then read them back.

    One apply at a time per working copy (.comfyops/apply.lock); see "Concurrent runs" in the README.
    """
    _refuse_combinations(plan_file, options, smoke=smoke, rollback=rollback_on_smoke_failure, html_file=html_file)
    color = use_color(no_color_flag=app.no_color)
    journal_path = workspace.apply_journal(_working_copy(files, plan_file))
    if plan_file is not None:
        planned = _saved_plan(app, plan_file, files, options, journal_path, fmt, color)
    else:
        planned = _new_plan(app, files, options, journal_path, fmt, color, show_unmanaged)
    if isinstance(planned, int):  # stopped: an interrupted apply's smoke test failed, or Ctrl-C
        return planned
    if applying.needs_confirmation(planned, saved=plan_file is not None, auto_approve=auto_approve):
        _confirm()
    if planned.plan.is_empty:
        if plan_file is not None:
            output.echo("No changes to apply.", err=fmt != "text")
        publish(summary, _NO_CHANGES)
        return 0
    run = applying.ApplyOptions(fail_fast=fail_fast, smoke=smoke, rollback_on_smoke_failure=rollback_on_smoke_failure,
                                keep_outputs=html_file is not None, journal_path=journal_path)
    applied = applying.apply_plan(app, planned, run, hooks=_ProgressHooks())
    _show(applied, fmt, color, html_file, summary, plan_printed=plan_file is None and fmt == "text",
          rollback_asked=rollback_on_smoke_failure or applied.rolled_out)
    applying.notify(app, planned, applied, files)
    if applied.interrupted:
        return 130
    return 1 if applied.failed else 0


def _refuse_combinations(plan_file: Path | None, options: planner.PlanOptions, *, smoke: bool, rollback: bool,
                         html_file: Path | None) -> None:
    """Refuse options that do not go together, before anything is read."""
    if rollback and not smoke:
        raise click.UsageError("--rollback-on-smoke-failure needs --smoke")
    if html_file is not None and not smoke:
        raise click.UsageError("--html needs --smoke (it shows the smoke tests' pictures)")
    if plan_file is not None and options.targets:
        raise click.UsageError(
            "--target cannot be combined with a saved plan: it applies exactly what it shows "
            "(make a targeted plan with `plan --target NAME --out FILE`)"
        )
    if plan_file is not None and options.candidate:
        raise click.UsageError(
            "--candidate cannot be combined with a saved plan: it applies exactly what it shows "
            "(make the plan with `plan --candidate --out FILE`)"
        )


def _saved_plan(app: Session, plan_file: Path, files: tuple[str, ...], options: planner.PlanOptions,
                journal_path: Path, fmt: str, color: bool) -> Planned | int:
    """The saved plan, still current (after finishing an interrupted apply); an exit code to stop with."""
    if interrupted.pending(journal_path):
        saved = planfiles.load(plan_file)
        desired = load_desired(files or tuple(saved.manifest_files), saved.environment)
        stop = interrupted.finish(app, desired, journal_path, fmt, color)
        if stop is not None:
            return stop
    return applying.saved_plan(
        app, plan_file, lambda recorded, environment: load_desired(files or recorded, environment),
        options.allow_replace, selected_environment(),
    )


def _new_plan(app: Session, files: tuple[str, ...], options: planner.PlanOptions, journal_path: Path, fmt: str,
              color: bool, show_unmanaged: bool) -> Planned | int:
    """A new plan, shown (on stderr unless the report is text) and refused when policy denies it, after
    finishing an interrupted apply; an exit code to stop with."""
    desired = load_desired(files)
    refuse_broken_policies(app.out.diagnostics, desired)  # before the first side effect (registrations)
    stop = interrupted.finish(app, desired, journal_path, fmt, color)
    if stop is not None:
        return stop
    planned = with_policy(app, make_plan(app, desired, options, read_only=False))
    output.echo(render_plan(planned.plan, "text", color=color, show_unmanaged=show_unmanaged), nl=False,
                err=fmt != "text")
    refuse_denied(planned.plan)
    return planned


def _show(applied: applying.Applied, fmt: str, color: bool, html_file: Path | None, summary: bool, *,
          plan_printed: bool, rollback_asked: bool) -> None:
    """Print the apply (and smoke) report, write the gallery, publish the job summary."""
    report, smoke_report = applied.report, applied.smoke
    shown = _named_once(report, smoke_report, plan_printed=plan_printed)
    if smoke_report is None:
        text = render_apply(shown[0], fmt, color=color and fmt == "text")
        output.echo(text, nl=not text.endswith("\n"))
    else:
        output.echo(render_apply_smoke(*shown, fmt, color=color and fmt == "text", rollback_asked=rollback_asked),
                    nl=False)
    note = "" if smoke_report is None else gallery.write_or_warn(html_file, [smoke_report])
    publish(summary, lambda: _summary_markdown(report, smoke_report, rollback_asked) + (f"\n{note}\n" if note else ""))


def _named_once(report: ApplyReport, smoke_report: SmokeReport | None,
                *, plan_printed: bool) -> tuple[ApplyReport, SmokeReport]:
    """The reports to print: without their environment when the plan printed above already named it."""
    smoke = smoke_report if smoke_report is not None else SmokeReport(results=())
    if not plan_printed:
        return report, smoke
    return report.model_copy(update={"environment": None}), dataclasses.replace(smoke, environment=None)


_NO_CHANGES = "## ComfyOps apply\n\n**No changes.** Live deployments already match the manifests.\n"


def _summary_markdown(report: ApplyReport, smoke_report: SmokeReport | None, rollback_asked: bool) -> str:
    """The apply report (with the smoke report when there was one), for the job summary."""
    if smoke_report is None:
        return render_apply(report, "markdown")
    return render_apply_smoke(report, smoke_report, "markdown", rollback_asked=rollback_asked)


PROMPT = "Apply these changes? Only 'yes' will be accepted"


def _confirm() -> None:
    """Ask on the terminal; without one, read a typed answer piped on stdin (``echo yes | comfyops apply``)."""
    if sys.stdin is None or not sys.stdin.isatty():
        line = _piped_line(sys.stdin)
        if not line:
            raise ReconcilerError(
                "refusing to apply without confirmation: there is no terminal to ask on",
                "review the plan above and re-run with --auto-approve, pipe the answer "
                f"(echo yes | {followup('apply')}), or apply a saved plan file",
            )
        answer = line.strip()
        output.echo(f"{PROMPT}: {answer} (read from standard input)", err=True)
    else:
        answer = output.current().ask(PROMPT)
    if answer.strip() != "yes":
        raise ReconcilerError("apply cancelled: nothing was changed")


PIPED_ANSWER_WAIT_SECONDS = 10.0


def _piped_line(stream: TextIO | None) -> str:
    """The first line piped on ``stream``; '' when there is none (EOF, or nothing arrives, so CI never hangs)."""
    if stream is None:
        return ""
    try:
        fileno = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream.readline()  # an in-memory stream: never blocks
    try:
        import select

        ready, _, _ = select.select([fileno], [], [], PIPED_ANSWER_WAIT_SECONDS)
    except (OSError, ValueError):  # select() on this kind of file is not supported (e.g. Windows)
        ready = [fileno]
    return stream.readline() if ready else ""

