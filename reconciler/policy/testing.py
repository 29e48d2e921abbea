"""``comfyops policy test``: run the ``test_*`` rules of Rego files, as ``opa test`` does.

Effectful only through ``policy.rego``. A test passes when its rule evaluates to ``true``; it fails when
it is false or undefined, and errors when it cannot be evaluated. The report is OPA's layout: one
``data.<package>.<rule>: PASS|FAIL|ERROR`` line per test under its file, then ``PASS: n/N`` (rendered by
``render/policy_tests.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.diagnostics import Diagnostic, Location
from reconciler.policy import rego, sources
from reconciler.policy.report import Outcome, TestResult

__all__ = ["Outcome", "TestResult", "run_tests"]


def run_tests(paths: Sequence[str]) -> tuple[list[TestResult], list[Diagnostic]]:
    """Every ``test_*`` rule under ``paths``, evaluated; problems that stop all of them come second."""
    modules, problems = sources.collect(paths)
    if problems:
        return [], problems
    if not modules:
        return [], [Diagnostic("no Rego files (*.rego) found", Location(", ".join(paths) or "."))]
    tests = [(m.name, f"data.{m.package}.{rule}") for m in modules if m.package for rule in m.rules("test_")]
    answers, stop = rego.run(modules, None, [rule for _, rule in tests])
    if stop:
        return [], stop
    results = []
    for (file, rule), answer in zip(tests, answers, strict=True):
        if answer.problem is not None:
            results.append(TestResult(file, rule, Outcome.ERROR, answer.problem))
        else:
            results.append(TestResult(file, rule, Outcome.PASS if answer.value is True else Outcome.FAIL))
    return results, []
