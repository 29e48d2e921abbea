"""What drift and status share: one list call, then plan's own matching and diff, for a report.

Effectful shell around the pure planner. Unlike ``plan``, a report is not refused for rules that
only guard *applying* (``protect``, the empty-manifest guard): drift and status show what is,
they change nothing. Problems that make the comparison itself impossible (two live deployments
under one name, a pinned id that does not exist) still fail, as in plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.cli.context import AppContext
from reconciler.cli.output import print_diagnostics
from reconciler.cli.planning import connect
from reconciler.engine import build, observe, targets
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import Plan
from reconciler.errors import DiagnosticsError
from reconciler.manifest.desired import DesiredState
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient

_APPLY_ONLY_FIELDS = frozenset({"spec.protect", "spec.workflow_version"})
"""Plan rules that only guard apply; a read-only report ignores them."""


@dataclass
class Observed:
    """A plan made for a report, what it was made from, and the client that read it."""

    plan: Plan
    desired: DesiredState
    live: list[LiveDeployment]
    records: list[wire.Deployment]
    client: RunComfyClient


def observe_plan(
    app: AppContext, desired: DesiredState, target_patterns: tuple[str, ...] = (), *, will_smoke: bool = False
) -> Observed:
    """Read live state with one list call and plan against it; ``--target`` patterns must match.

    No workflow is registered with an ``--emulator`` (it serves the versions apply saved, as the API
    does), and a plain report (no ``will_smoke``) leaves the emulator's state untouched.
    """
    client = connect(app, desired, read_only=not will_smoke)
    records, live = observe.observe_with_wire(client)
    names = [d.name for d in desired.deployments] + [d.name for d in live]
    unmatched = targets.unmatched(target_patterns, names)
    if unmatched:
        print_diagnostics(unmatched)
        count = len(unmatched)
        raise DiagnosticsError(unmatched, f"--target: {count} pattern{'s match' if count != 1 else ' matches'} "
                                          "no deployment")
    options = build.PlanOptions(targets=target_patterns, allow_replace=True, allow_empty=True)
    plan, problems = build.build_plan(desired, live, options)
    problems = [p for p in problems if p.field_path not in _APPLY_ONLY_FIELDS]
    errors = [p for p in problems if p.is_error]
    print_diagnostics(problems)
    if errors:
        raise DiagnosticsError(errors, f"cannot compare: {len(errors)} problem{'s' if len(errors) != 1 else ''}")
    return Observed(plan=plan, desired=desired, live=live, records=records, client=client)


def apply_command(app: AppContext, files: tuple[str, ...], environment: str | None = None) -> str:
    """The ``comfyops [global options] apply [-f PATH]... [--env NAME]`` line a fix suggests."""
    from reconciler.cli.followups import followup, invocation

    return followup("apply", base=invocation(app).with_manifests(files, environment))
