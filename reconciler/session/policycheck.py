"""The Rego policies' own problems, found before anything else happens: by ``validate`` (offline) and by
``apply`` before its first side effect.

Effectful (reads the policy files; runs the Rego worker process). A policy path that is missing or holds
no ``*.rego`` file, a syntax or compile error, or a rule that fails to evaluate is a problem of the
repository, not of one plan: it is found by evaluating the policies over the plan that changes nothing,
and the verdicts of that evaluation are discarded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from reconciler import secrets as masking
from reconciler.diagnostics import Diagnostic
from reconciler.engine.plan import Plan
from reconciler.errors import DiagnosticsError
from reconciler.manifest.desired import DesiredState
from reconciler.render import manifests as printing


def policy_input(plan: Plan, desired: DesiredState) -> dict[str, Any]:
    """The document policies see: exactly what ``plan --format json`` prints (secrets masked), plus the
    environment and the resolved manifests."""
    manifests = printing.resolved_documents(list(desired.documents))
    document = {**plan.to_dict(), "environment": desired.environment_name, "manifests": manifests}
    masked: dict[str, Any] = json.loads(masking.mask(json.dumps(document), desired.secret_values))
    return masked


def policy_problems(desired: DesiredState) -> list[Diagnostic]:
    """Problems of the policies ``desired`` names (none when it names none), without any API call."""
    if not desired.policy_paths:
        return []
    from reconciler.policy.evaluate import evaluate

    quiet = Plan(environment=desired.environment_name)
    _report, problems = evaluate(desired.policy_paths, desired.settings.policy.namespaces,
                                 policy_input(quiet, desired))
    return problems


def refuse_broken_policies(report: Callable[[Sequence[Diagnostic]], None], desired: DesiredState) -> None:
    """Fail, with every problem given to ``report``, when the policies ``desired`` names cannot be evaluated."""
    problems = policy_problems(desired)
    report(problems)
    errors = [p for p in problems if p.is_error]
    if errors:
        count = len(errors)
        raise DiagnosticsError(errors, f"policy check failed: {count} error{'s' if count != 1 else ''}")
