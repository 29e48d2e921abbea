"""Policy evaluation with conftest's conventions, over the JSON plan and the resolved manifests.

Effectful only through ``policy.rego`` (the worker process). For each namespace (``main`` by default,
or ``Settings.policy.namespaces``) the rules ``deny`` and ``violation`` block and ``warn`` advises.
Each may be a set of message strings or of objects with a ``msg`` key (conftest's structured form);
a v0-style partial rule (``deny[msg] { ... }``), which rego-cpp reads as an object, counts by its keys.
``*_test.rego`` files are left out: only ``comfyops policy test`` loads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.policy import rego, sources
from reconciler.policy.report import ADVISORY_RULES, BLOCKING_RULES, PolicyMessage, PolicyReport


def evaluate(
    paths: Sequence[str], namespaces: Sequence[str], input_document: dict[str, Any]
) -> tuple[PolicyReport, list[Diagnostic]]:
    """The policies under ``paths`` evaluated over ``input_document``; errors mean no verdict."""
    modules, problems = sources.collect(paths)
    modules = [m for m in modules if not m.is_test]
    if problems:
        return PolicyReport(files=[m.name for m in modules], namespaces=list(namespaces)), problems
    if not modules:
        where = Location(paths[0]) if paths else None
        problem = Diagnostic("no Rego policy files (*.rego) found", where, "spec.policy.paths",
                             "add policies there, or remove Settings.policy.paths", Severity.ERROR)
        return PolicyReport(namespaces=list(namespaces)), [problem]
    packages = {m.package for m in modules}
    for namespace in namespaces:
        if namespace not in packages:
            problems.append(Diagnostic(
                f"no policy file declares package {namespace}", Location(modules[0].name), "spec.policy.namespaces",
                f"packages found: {', '.join(sorted(p for p in packages if p))}", Severity.WARNING))
    queries = [f"data.{ns}.{rule}" for ns in namespaces for rule in (*BLOCKING_RULES, *ADVISORY_RULES)]
    answers, stop = rego.run(modules, input_document, queries)
    report = PolicyReport(files=[m.name for m in modules], namespaces=list(namespaces))
    if stop:
        return report, [*problems, *stop]
    denials: list[PolicyMessage] = []
    warnings: list[PolicyMessage] = []
    for answer in answers:
        if answer.problem is not None:
            problems.append(answer.problem)
            continue
        namespace, _, rule = answer.query.removeprefix("data.").rpartition(".")
        for message, details in _messages(answer.value):
            item = PolicyMessage(namespace=namespace, rule=rule, message=message, details=details)
            (denials if rule in BLOCKING_RULES else warnings).append(item)
    return report.model_copy(update={"denials": denials, "warnings": warnings}), _unique(problems)


def _messages(value: Any) -> list[tuple[str, dict[str, Any] | None]]:
    if value == rego.UNDEFINED or value is None or value is False:
        return []
    if value is True:
        return [("(rule is true)", None)]
    if isinstance(value, str):
        return [(value, None)]
    if isinstance(value, dict):
        if value and all(v is True for v in value.values()):
            return [(str(k), None) for k in value]
        return [_one(value)]
    if isinstance(value, list):
        return [_one(item) for item in value]
    return [(str(value), None)]


def _one(item: Any) -> tuple[str, dict[str, Any] | None]:
    if isinstance(item, dict) and "msg" in item:
        rest = {k: v for k, v in item.items() if k != "msg"}
        return str(item["msg"]), rest or None
    if isinstance(item, str):
        return item, None
    import json

    return json.dumps(item, sort_keys=True), None


def _unique(problems: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[str] = set()
    out: list[Diagnostic] = []
    for problem in problems:
        key = problem.format()
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out
