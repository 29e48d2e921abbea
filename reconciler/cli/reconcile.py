"""``comfyops reconcile``: one pass (or ``--watch``), report or heal drift; ``pause`` / ``resume`` self-heal.

Effectful shell: parses options, loads the manifests each pass, builds the one client (with the metrics hook),
calls ``session.reconcile.run_pass``, renders, records metrics, sends notifications, sets the exit code:
0 in sync or healed, 2 drift left unhealed, 1 error.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click

from reconciler import workspace
from reconciler.cli import output
from reconciler.cli.apply import _ProgressHooks
from reconciler.cli.manifests import files_option, load_desired, load_result, selected_environment
from reconciler.cli.output import use_color
from reconciler.cli.summary import publish, summary_option
from reconciler.engine.plan import Plan
from reconciler.engine.reconcile import PassResult, ReconcileReport
from reconciler.errors import ReconcilerError
from reconciler.manifest import environments
from reconciler.manifest.desired import DesiredState, secret_strings
from reconciler.render.reconcile import FORMATS, headline, message, render_reconcile
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import applylock, notify, pause, reconcile, watch
from reconciler.session import metrics as metrics_mod
from reconciler.session.observing import apply_command
from reconciler.session.planning import Planned, connect, secrets_of, with_policy
from reconciler.session.session import Session
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport


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
    runner = _Runner(app, files, fmt, metrics, metrics_file, pushgateway, smoke, summary)
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
    """One pass at a time: load, reconcile, render, metrics, notifications; the pass's exit code."""

    def __init__(self, app: Session, files: tuple[str, ...], fmt: str, metrics: metrics_mod.Metrics,
                 metrics_file: Path | None, pushgateway: str | None, smoke: bool, summary: bool) -> None:
        self.app, self.files, self.fmt, self.metrics = app, files, fmt, metrics
        self.metrics_file, self.pushgateway, self.smoke, self.summary = metrics_file, pushgateway, smoke, summary
        self.folder = pause.manifest_folder(files)
        self.last_sent: dict[str, str] = {}

    def one(self, number: int) -> int:
        started = time.monotonic()
        label = _label(selected_environment())
        try:
            desired = load_desired(self.files)
            label = _label(desired.environment_name)
            report = self._pass(desired)
        except ReconcilerError as exc:
            self.metrics.record_pass(label, PassResult.ERROR.value, time.monotonic() - started)
            self._export(label)
            if number == 1 and not self._watching():
                raise
            output.current().error(f"pass {number}: {exc.summary}", exc.detail)
            return 1
        self.metrics.record_pass(label, report.result.value, time.monotonic() - started)
        for heal in report.heals:
            if heal.result in ("healed", "failed"):
                self.metrics.record_heal(label, heal.name, heal.result == "healed")
        secrets = secret_strings(desired)
        color = self.fmt == "text" and use_color(no_color_flag=self.app.no_color)
        output.current().learn(secrets)
        text = render_reconcile(report, self.fmt, color=color)
        output.echo(text, nl=not text.endswith("\n"))
        output.echo(f"pass {number}: {headline(report)}", err=True)
        publish(self.summary, lambda: render_reconcile(report, "markdown"))
        self._notify(desired, report)
        self._export(label)
        return report.exit_code

    def _watching(self) -> bool:
        ctx = click.get_current_context(silent=True)
        return bool(ctx is not None and ctx.params.get("watch"))

    def _pass(self, desired: DesiredState) -> ReconcileReport:
        """One pass, on a session of its own: a watch re-reads the manifests, whose settings may change."""
        session = self.app.fresh()
        try:
            return self._pass_with(session, desired)
        finally:
            session.close()

    def _pass_with(self, session: Session, desired: DesiredState) -> ReconcileReport:
        heal_mode = desired.settings.drift.mode == "heal"
        client = connect(session, desired, register_workflows=heal_mode, read_only=not heal_mode)
        seen = workspace.reconcile_state(self.folder) / f"seen-{desired.environment_name or 'default'}.json"
        inputs = reconcile.PassInputs(
            now=datetime.now(UTC),
            pause=pause.effective(pause.read(pause.pause_file(self.folder)), desired.environment_name),
            seen_file=seen,
            commit=notify.commit_of(self.folder),
            apply_command=apply_command(self.app, self.files, desired.environment_name),
            check_policy=lambda plan: _with_policy(session, plan, desired, client),
            secrets=secrets_of(desired),
            hooks=_ProgressHooks(),
            smoke=(lambda names: self._smoke(desired, client, names)) if self.smoke else None,
        )
        outcome = reconcile.run_pass(desired, client, inputs)
        output.diagnostics(outcome.warnings)
        hardware = {d.name: str(d.fields.get("hardware", "")) for d in desired.deployments}
        hardware.update({d.name: str(d.fields.get("hardware", "")) for d in outcome.live})
        self.metrics.record_drift(_label(desired.environment_name), outcome.report.drift, hardware,
                                  outcome.report.healed)
        return outcome.report

    def _smoke(self, desired: DesiredState, client: RunComfyClient, names: list[str]) -> SmokeReport:
        """Smoke-test the named deployments that declare ``spec.smoke``, counting results in the metrics."""
        chosen = [d for d in desired.deployments if d.name in names and d.smoke is not None]
        progress = self.app.out.progress([d.name for d in chosen])
        report = runner.run_smoke(desired, chosen, client=client, progress=progress)
        self.metrics.record_smoke(_label(desired.environment_name), report)
        if report.interrupted:
            raise KeyboardInterrupt
        return report

    def _notify(self, desired: DesiredState, report: ReconcileReport) -> None:
        """Send the pass's events; in a watch, the same drift is announced once, not every pass."""
        notifier = notify.Notifier(desired.settings.notify, secret_strings(desired))
        events = {PassResult.DRIFT: "drift_detected", PassResult.HEALED: "healed",
                  PassResult.HEAL_FAILED: "heal_failed", PassResult.SMOKE_FAILED: "smoke_failed"}
        event = events.get(report.result)
        if event is None:
            self.last_sent.clear()
            return
        key = json.dumps([report.drift.to_dict()["fields"], report.unhealed, [h.name for h in report.failed]])
        if self.last_sent.get(event) == key:
            return
        self.last_sent = {event: key}
        title, body = message(report, event)
        for warning in notifier.send(event, title, body):
            output.echo(f"warning: {warning}", err=True)

    def _export(self, environment: str) -> None:
        if self.metrics_file is not None:
            try:
                metrics_mod.write_textfile(self.metrics, self.metrics_file)
            except OSError as exc:
                output.echo(f"warning: cannot write --metrics-file {self.metrics_file}: {exc}", err=True)
        if self.pushgateway:
            try:
                metrics_mod.push(self.metrics, self.pushgateway, environment)
            except (OSError, ValueError) as exc:
                output.echo(f"warning: cannot push metrics to the Pushgateway: {type(exc).__name__}: {exc}",
                           err=True)


def _label(environment: str | None) -> str:
    """The ``environment`` label of the metrics: the environment's name, ``default`` without Environments."""
    return environment or "default"


def _with_policy(session: Session, plan: Plan, desired: DesiredState, client: RunComfyClient) -> Plan:
    """The heal plan with its Rego results, exactly as plan and apply evaluate them."""
    return with_policy(session, Planned(plan=plan, desired=desired, live=[], client=client)).plan


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
