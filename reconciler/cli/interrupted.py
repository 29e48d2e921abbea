"""Finishing an interrupted ``apply --smoke`` (the apply journal), for ``apply`` and ``smoke``: what it prints.

The use case is :func:`reconciler.session.apply.finish_interrupted`; this module says what it did: one
line naming the interrupted run (its start time, process and environment) and the deployments, then the
combined apply and smoke report, and the exit code to stop with when the smoke test failed.
"""

from __future__ import annotations

from pathlib import Path

from reconciler import readfile
from reconciler.cli import output
from reconciler.engine.plan import Action
from reconciler.engine.report import Outcome
from reconciler.manifest.desired import DesiredState
from reconciler.render import safe
from reconciler.render.apply_smoke import render_apply_smoke
from reconciler.session import apply as applying
from reconciler.session import applyjournal
from reconciler.session.session import Session


def _target(entry: applyjournal.Entry) -> str:
    where = safe.terminal(entry.endpoint)
    return where + (f" --env {safe.terminal(entry.environment)}" if entry.environment else "")


def pending(journal_path: Path) -> bool:
    """Whether an apply journal is there to finish (or to refuse, when it cannot be read)."""
    return readfile.is_present(journal_path)


def finish(app: Session, desired: DesiredState, journal_path: Path, fmt: str, color: bool, *,
           register_workflows: bool = True) -> int | None:
    """Finish the job an interrupted ``apply --smoke`` against this target left in ``journal_path`` (hold the
    apply lock): the exit code to stop with (1: its smoke test failed; 130: interrupted again), else None to
    go on. The report goes to stdout when it decides the exit code, else (``fmt`` not text) to stderr."""
    if not pending(journal_path):
        return None
    finished, others = applying.finish_interrupted(app, desired, journal_path, register_workflows=register_workflows)
    for other in others:
        output.current().note(
            f"note: {journal_path} also records an interrupted apply against {_target(other)} "
            f"({other.describe()}); the next apply or smoke against that target finishes it"
        )
    if finished is None:
        return None
    entry, applied = finished.entry, finished.applied
    names = [safe.terminal(o.name) for o in applied.report.changes
             if o.outcome is Outcome.APPLIED and o.action is not Action.DELETE]
    rolling = ", rolling back failures as it asked" if entry.rollback else ""
    output.echo(
        f"Finishing an interrupted apply ({entry.describe()}, against {_target(entry)}): "
        f"{', '.join(names) or 'no deployment'} changed and not smoke-tested; smoke-testing now{rolling}.",
        err=True,
    )
    for name in finished.undeclared:
        output.echo(f"warning: {safe.terminal(name)} is no longer declared: not smoke-tested", err=True)
    assert applied.smoke is not None
    failed = applied.interrupted or not applied.smoke.ok
    shown = fmt if failed or fmt == "text" else "text"
    text = render_apply_smoke(applied.report, applied.smoke, shown, color=color and shown == "text",
                              rollback_asked=entry.rollback)
    output.echo(text, nl=False, err=not failed and fmt != "text")
    if applied.interrupted:
        return 130
    if failed:
        output.echo("Stopped: the interrupted apply's smoke test failed, so nothing new was done; "
                    "fix the deployment and re-run.", err=True)
        return 1
    return None
