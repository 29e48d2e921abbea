"""The reconcile use case across passes: each pass on a session of its own, its metrics, its notifications.

Effectful, no printing but notes and problems (through the session's output object). One pass
(:meth:`Passes.run`) makes a fresh session (a watch re-reads the manifests, whose settings may change),
connects, runs :func:`reconciler.session.reconcile.run_pass` with this working copy's pause, seen records
and commit, the Rego check and, with ``smoke``, the smoke tests, and counts drift, heals and smoke results
in the metrics. :meth:`Passes.notify` sends the pass's event (in a watch, the same drift once, not every
pass); :meth:`Passes.export` writes the metrics file and pushes to a Pushgateway, as asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler import workspace
from reconciler.engine.plan import Plan
from reconciler.engine.reconcile import PassResult, ReconcileReport
from reconciler.manifest.desired import DesiredState, secret_strings
from reconciler.render.reconcile import message
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import metrics as metrics_mod
from reconciler.session import notify, pause, reconcile
from reconciler.session.executor import ApplyHooks
from reconciler.session.observing import apply_command
from reconciler.session.planning import Planned, connect, secrets_of, with_policy
from reconciler.session.session import Session
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport

EVENTS = {PassResult.DRIFT: "drift_detected", PassResult.HEALED: "healed",
          PassResult.HEAL_FAILED: "heal_failed", PassResult.SMOKE_FAILED: "smoke_failed"}
"""The notification event of each pass result that has one."""


def label(environment: str | None) -> str:
    """The ``environment`` label of the metrics: the environment's name, ``default`` without Environments."""
    return environment or "default"


@dataclass
class Passes:
    """What reconcile's passes share: the command's session and options, the metrics, the last event sent."""

    app: Session
    files: tuple[str, ...]
    metrics: metrics_mod.Metrics
    hooks: ApplyHooks
    """Shown as heal applies each change."""
    smoke: bool = False
    metrics_file: Path | None = None
    pushgateway: str | None = None
    last_sent: dict[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The manifests' folder: where the pause file and the reconcile records belong."""
        return pause.manifest_folder(self.files)

    def run(self, desired: DesiredState) -> ReconcileReport:
        """One pass, on a session of its own (closed after it), its drift counted in the metrics."""
        session = self.app.fresh()
        try:
            return self._run_with(session, desired)
        finally:
            session.close()

    def _run_with(self, session: Session, desired: DesiredState) -> ReconcileReport:
        heal_mode = desired.settings.drift.mode == "heal"
        client = connect(session, desired, register_workflows=heal_mode, read_only=not heal_mode)
        folder = self.folder
        seen = workspace.reconcile_state(folder) / f"seen-{desired.environment_name or 'default'}.json"
        inputs = reconcile.PassInputs(
            now=datetime.now(UTC),
            pause=pause.effective(pause.read(pause.pause_file(folder)), desired.environment_name),
            seen_file=seen,
            commit=notify.commit_of(folder),
            apply_command=apply_command(self.app, self.files, desired.environment_name),
            check_policy=lambda plan: _with_policy(session, plan, desired, client),
            secrets=secrets_of(desired),
            hooks=self.hooks,
            smoke=(lambda names: self._smoke(desired, client, names)) if self.smoke else None,
        )
        outcome = reconcile.run_pass(desired, client, inputs)
        self.app.out.diagnostics(outcome.warnings)
        hardware = {d.name: str(d.fields.get("hardware", "")) for d in desired.deployments}
        hardware.update({d.name: str(d.fields.get("hardware", "")) for d in outcome.live})
        self.metrics.record_drift(label(desired.environment_name), outcome.report.drift, hardware,
                                  outcome.report.healed)
        return outcome.report

    def _smoke(self, desired: DesiredState, client: RunComfyClient, names: list[str]) -> SmokeReport:
        """Smoke-test the named deployments that declare ``spec.smoke``, counting results in the metrics."""
        chosen = [d for d in desired.deployments if d.name in names and d.smoke is not None]
        progress = self.app.out.progress([d.name for d in chosen])
        report = runner.run_smoke(desired, chosen, client=client, progress=progress)
        self.metrics.record_smoke(label(desired.environment_name), report)
        if report.interrupted:
            raise KeyboardInterrupt
        return report

    def notify(self, desired: DesiredState, report: ReconcileReport) -> None:
        """Send the pass's event; in a watch, the same drift is announced once, not every pass."""
        event = EVENTS.get(report.result)
        if event is None:
            self.last_sent.clear()
            return
        key = json.dumps([report.drift.to_dict()["fields"], report.unhealed, [h.name for h in report.failed]])
        if self.last_sent.get(event) == key:
            return
        self.last_sent = {event: key}
        title, body = message(report, event)
        notifier = notify.Notifier(desired.settings.notify, secret_strings(desired))
        for warning in notifier.send(event, title, body):
            self.app.out.note(f"warning: {warning}")

    def export(self, environment: str) -> None:
        """Write ``--metrics-file`` and push to ``--pushgateway``, as asked; a failure only warns."""
        if self.metrics_file is not None:
            try:
                metrics_mod.write_textfile(self.metrics, self.metrics_file)
            except OSError as exc:
                self.app.out.note(f"warning: cannot write --metrics-file {self.metrics_file}: {exc}")
        if self.pushgateway:
            try:
                metrics_mod.push(self.metrics, self.pushgateway, environment)
            except (OSError, ValueError) as exc:
                self.app.out.note(f"warning: cannot push metrics to the Pushgateway: {type(exc).__name__}: {exc}")


def _with_policy(session: Session, plan: Plan, desired: DesiredState, client: RunComfyClient) -> Plan:
    """The heal plan with its Rego results, exactly as plan and apply evaluate them."""
    return with_policy(session, Planned(plan=plan, desired=desired, live=[], client=client)).plan
