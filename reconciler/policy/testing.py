"""``comfyops policy test``: run the ``test_*`` rules of Rego files, as ``opa test`` does.

Effectful only through ``policy.rego``. A test passes when its rule evaluates to ``true``; it fails when
it is false or undefined, and errors when it cannot be evaluated. The report is OPA's layout: one
``data.<package>.<rule>: PASS|FAIL|ERROR`` line per test under its file, then ``PASS: n/N``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from reconciler.diagnostics import Diagnostic, Location
from reconciler.policy import rego, sources


class Outcome(StrEnum):
    """How one test rule ended."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"


@dataclass(frozen=True)
class TestResult:
    """One ``test_*`` rule: the file that defines it, its full name, and how it ended."""

    file: str
    rule: str
    outcome: Outcome
    problem: Diagnostic | None = None


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


def render(results: list[TestResult]) -> str:
    """The results as ``opa test`` prints them, grouped by file, with PASS/FAIL/ERROR counts."""
    lines: list[str] = []
    current = ""
    for result in results:
        if result.file != current:
            if current:
                lines.append("")
            lines.append(f"{result.file}:")
            current = result.file
        lines.append(f"{result.rule}: {result.outcome.value}")
        if result.problem is not None:
            lines.append(f"  {result.problem.format()}")
    lines.append("-" * 80)
    total = len(results)
    for outcome in Outcome:
        count = sum(1 for r in results if r.outcome is outcome)
        if count or outcome is Outcome.PASS:
            lines.append(f"{outcome.value}: {count}/{total}")
    return "\n".join(lines) + "\n"
