"""The Rego policies' own problems, found before anything else happens: by ``validate`` (offline) and by
``apply`` before its first side effect.

Effectful shell (reads the policy files; runs the Rego worker process). A policy path that is missing
or holds no ``*.rego`` file, a syntax or compile error, or a rule that fails to evaluate is a problem of
the repository, not of one plan: it is found by evaluating the policies over the plan that changes
nothing, and the verdicts of that evaluation are discarded.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.cli.output import print_diagnostics, scrub
from reconciler.diagnostics import Diagnostic
from reconciler.engine.plan import Plan
from reconciler.errors import DiagnosticsError
from reconciler.manifest import printing
from reconciler.manifest.desired import DesiredState


def policy_input(plan: Plan, desired: DesiredState) -> dict[str, Any]:
    """The document policies see: exactly what ``plan --format json`` prints (secrets scrubbed), plus the
    environment and the resolved manifests."""
    manifests = printing.resolved_documents(list(desired.documents))
    document = {**plan.to_dict(), "environment": desired.environment_name, "manifests": manifests}
    scrubbed: dict[str, Any] = json.loads(scrub(json.dumps(document), desired.secret_values))
    return scrubbed


def policy_problems(desired: DesiredState) -> list[Diagnostic]:
    """Problems of the policies ``desired`` names (none when it names none), without any API call."""
    if not desired.policy_paths:
        return []
    from reconciler.policy.evaluate import evaluate

    quiet = Plan(environment=desired.environment_name)
    _report, problems = evaluate(desired.policy_paths, desired.settings.policy.namespaces,
                                 policy_input(quiet, desired))
    return problems


def refuse_broken_policies(desired: DesiredState) -> None:
    """Fail, with every problem printed, when the policies ``desired`` names cannot be evaluated."""
    problems = policy_problems(desired)
    print_diagnostics(problems)
    errors = [p for p in problems if p.is_error]
    if errors:
        count = len(errors)
        raise DiagnosticsError(errors, f"policy check failed: {count} error{'s' if count != 1 else ''}")
