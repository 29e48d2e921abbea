"""``comfyops reconcile``: one pass (or ``--watch``), report or heal drift; ``pause`` / ``resume`` self-heal.

Effectful shell: parses options, loads the manifests each pass, runs it (:mod:`reconciler.session.reconciling`:
a session of its own, the pass, its metrics and notifications), renders, and sets the exit code: 0 in sync or
healed, 2 drift left unhealed, 1 error.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click

from reconciler.cli import output
from reconciler.cli.apply import _ProgressHooks
from reconciler.cli.manifests import files_option, load_desired, load_result, selected_environment
from reconciler.cli.output import use_color
from reconciler.cli.summary import publish, summary_option
from reconciler.engine.reconcile import PassResult
from reconciler.errors import ReconcilerError
from reconciler.manifest import environments
from reconciler.manifest.desired import secret_strings
from reconciler.render.reconcile import FORMATS, headline, render_reconcile
from reconciler.session import applylock, pause, reconciling, watch
from reconciler.session import metrics as metrics_mod
from reconciler.session.session import Session


def _duration(_ctx: click.Context, param: click.Parameter, value: str) -> float:
    try:
        seconds = applylock.parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{param.name}") from None
    if seconds <= 0:
        raise click.BadParameter("must be more than 0 (e.g. 30s, 5m)", param_hint=f"--{param.name}")
    return seconds


def _address(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        metrics_mod.parse_address(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--metrics-addr") from None
    return value


@click.group("reconcile", invoke_without_command=True)
@files_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--watch", is_flag=True, help="Run passes in a loop until SIGTERM or Ctrl-C.")
@click.option("--interval", default="5m", show_default=True, metavar="DURATION", callback=_duration,
              help="With --watch: time between passes (30s, 5m, 1h), plus up to 10% jitter; doubled after a "
                   "failed pass.")
@click.option("--metrics-addr", default="127.0.0.1:9464", show_default=True, metavar="HOST:PORT",
              callback=_address, help="With --watch: serve Prometheus metrics at http://HOST:PORT/metrics.")
@click.option("--metrics-file", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="PATH",
              help="Write the metrics after each pass in the node-exporter textfile format (atomic).")
@click.option("--pushgateway", default=None, metavar="URL", help="Push the metrics to a Prometheus Pushgateway "
              "after each pass (job comfyops, grouped by environment).")
@click.option("--smoke", is_flag=True, help="Smoke-test the deployments heal created or changed (a failure exits 1).")
@summary_option
@click.pass_context
def command(ctx: click.Context, files: tuple[str, ...], fmt: str, watch: bool, interval: float, metrics_addr: str,
            metrics_file: Path | None, pushgateway: str | None, smoke: bool, summary: bool) -> int | None:
    """Compare live with the manifests and act by drift.mode: report (default) or heal.

    Exit 0 in sync or healed, 2 drift left unhealed, 1 error. Heal applies only what returns live to
    the manifests, honours pauses (`reconcile pause`), apply windows and Rego policies.

    \b
    Examples:
      comfyops reconcile -f deployments --env prod
      comfyops reconcile -f deployments --watch --interval 5m
      comfyops reconcile pause -f deployments --env prod --until 2026-12-31T18:00Z --reason "freeze"
    """
    if ctx.invoked_subcommand is not None:
        return None
    if not watch:
        given = [f"--{name.replace('_', '-')}" for name in ("interval", "metrics_addr")
                 if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
        if given:
            verb = "apply" if len(given) > 1 else "applies"
            raise click.UsageError(f"{' and '.join(given)} only {verb} with --watch (for one pass's metrics use "
                                   "--metrics-file or --pushgateway)")
    app: Session = ctx.obj
    metrics = metrics_mod.Metrics()
    app.api_observer = metrics.observer()
    passes = reconciling.Passes(app, files, metrics, hooks=_ProgressHooks(), smoke=smoke, metrics_file=metrics_file,
                                pushgateway=pushgateway)
    runner = _Runner(passes, fmt, summary)
    if not watch:
        return runner.one(1)
    return _watch(runner, interval, metrics, metrics_addr)


def _watch(runner: _Runner, interval: float, metrics: metrics_mod.Metrics, address: str) -> int:
    stop = threading.Event()
    try:
        server = metrics_mod.Server(metrics, address)
    except OSError as exc:
        raise ReconcilerError(f"cannot serve metrics at {address}: {exc.strerror or exc}",
                              "choose another --metrics-addr (port 0 lets the OS pick one)") from None
    output.echo(f"serving metrics at {server.url}", err=True)
    try:
        with _stop_on_sigterm(stop):
            done = watch.watch(
                lambda number: runner.one(number) != 1, interval=interval, stop=stop,
                on_wait=lambda seconds: output.echo(f"next pass in {seconds:.1f}s", err=True),
            )
    except KeyboardInterrupt:
        output.echo("stopped (Ctrl-C)", err=True)
        return 130
    finally:
        server.stop()
    output.echo(f"stopped after {done.passes} pass{'es' if done.passes != 1 else ''}", err=True)
    return 0


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM sets ``stop``: the running pass finishes, then the loop ends (exit 0; Ctrl-C exits 130)."""
    def handler(_signum: int, _frame: FrameType | None) -> None:
        output.echo("SIGTERM: stopping after this pass", err=True)
        stop.set()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Runner:
    """One pass at a time: load the manifests, run the pass (:class:`~reconciler.session.reconciling.Passes`),
    render it, count it, notify; the pass's exit code."""

    def __init__(self, passes: reconciling.Passes, fmt: str, summary: bool) -> None:
        self.passes, self.fmt, self.summary = passes, fmt, summary

    def one(self, number: int) -> int:
        started = time.monotonic()
        passes = self.passes
        label = reconciling.label(selected_environment())
        try:
            desired = load_desired(passes.files)
            label = reconciling.label(desired.environment_name)
            report = passes.run(desired)
        except ReconcilerError as exc:
            passes.metrics.record_pass(label, PassResult.ERROR.value, time.monotonic() - started)
            passes.export(label)
            if number == 1 and not self._watching():
                raise
            output.current().error(f"pass {number}: {exc.summary}", exc.detail)
            return 1
        passes.metrics.record_pass(label, report.result.value, time.monotonic() - started)
        for heal in report.heals:
            if heal.result in ("healed", "failed"):
                passes.metrics.record_heal(label, heal.name, heal.result == "healed")
        color = self.fmt == "text" and use_color(no_color_flag=passes.app.no_color)
        output.current().learn(secret_strings(desired))
        text = render_reconcile(report, self.fmt, color=color)
        output.echo(text, nl=not text.endswith("\n"))
        output.echo(f"pass {number}: {headline(report)}", err=True)
        publish(self.summary, lambda: render_reconcile(report, "markdown"))
        passes.notify(desired, report)
        passes.export(label)
        return report.exit_code

    def _watching(self) -> bool:
        ctx = click.get_current_context(silent=True)
        return bool(ctx is not None and ctx.params.get("watch"))


@command.command("pause")
@files_option
@click.option("--until", "until", default=None, metavar="WHEN",
              help="UTC date (holds through that day) or date and time, e.g. 2026-12-31T18:00Z; default: until "
                   "resume.")
@click.option("--reason", required=True, help="Why heal is paused (shown by every pass).")
def pause_command(files: tuple[str, ...], until: str | None, reason: str) -> int:
    """Pause self-heal for --env (or every environment): passes still report. Commit the file it writes."""
    environment = _checked_environment(files)
    path = pause.pause_file(pause.manifest_folder(files))
    entry = pause.add(path, environment, until, reason, datetime.now(UTC))
    output.echo(f"{entry.describe(datetime.now(UTC))}\nwrote {path}: commit it so CI and watching processes see it")
    return 0


@command.command("resume")
@files_option
def resume_command(files: tuple[str, ...]) -> int:
    """Remove the pause of --env (or the one of every environment). Commit the change."""
    environment = _checked_environment(files)
    path = pause.pause_file(pause.manifest_folder(files))
    gone = pause.remove(path, environment)
    scope = environment or "every environment"
    if gone is None:
        output.echo(f"no pause of {scope} in {path}; nothing to resume")
    else:
        output.echo(f"resumed {scope}: removed its pause from {path}; commit the change")
    return 0


def _checked_environment(files: tuple[str, ...]) -> str | None:
    """The ``--env`` given, checked against the manifests' Environment documents (a typo never pauses nothing)."""
    environment = selected_environment()
    names = load_result(files, None).environments
    if environment is not None and environment not in names:
        raise ReconcilerError(environments.unknown_environment(environment, names))
    return environment
