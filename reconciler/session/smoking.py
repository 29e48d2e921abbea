"""The smoke use case: the deployments to smoke-test, run through the session's client, as one report.

Effectful (submits and polls requests, records them in the history); no printing: progress goes to the
session's output object (``app.out.progress``), problems to it too.
"""

from __future__ import annotations

import dataclasses

from reconciler.engine import targets as target_patterns
from reconciler.errors import DiagnosticsError
from reconciler.manifest.desired import DesiredDeployment, DesiredState
from reconciler.session import cancelling
from reconciler.session.planning import connect
from reconciler.session.recording import journal
from reconciler.session.session import Session
from reconciler.smoke import runner
from reconciler.smoke.report import SmokeReport


def select(app: Session, desired: DesiredState, targets: tuple[str, ...]) -> list[DesiredDeployment]:
    """Deployments with ``spec.smoke`` (all, or those matching a ``--target`` glob, smoke or not)."""
    if not targets:
        return [d for d in desired.deployments if d.smoke is not None]
    problems = target_patterns.unmatched(targets, [d.name for d in desired.deployments])
    if problems:
        app.out.diagnostics(problems)
        count = len(problems)
        raise DiagnosticsError(problems, f"cannot smoke-test: {count} problem{'s' if count != 1 else ''}")
    return [d for d in desired.deployments if target_patterns.selected(d.name, targets)]


def smoke_test(
    app: Session, desired: DesiredState, chosen: list[DesiredDeployment], *, concurrency: int | None,
    update_goldens: bool = False, keep_outputs: bool = False,
) -> SmokeReport:
    """Smoke-test ``chosen`` through the session's client, recording each request in the history (and, with
    ``update_goldens``, each output's golden instead of comparing with it; with ``keep_outputs``, each run's
    pictures for the HTML gallery)."""
    client = connect(app, desired)
    cancel = cancelling.cancel_command(app, desired)
    report = runner.run_smoke(desired, chosen, client=client, concurrency=concurrency,
                              progress=app.out.progress([d.name for d in chosen]), journal=journal(app, "smoke"),
                              update_goldens=update_goldens, cancel_command=cancel, keep_outputs=keep_outputs)
    cancelling.report_still_running(app, report, cancel)
    return dataclasses.replace(report, environment=desired.environment_name)
