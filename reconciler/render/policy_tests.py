"""``comfyops policy test``'s report: OPA's layout, one ``data.<package>.<rule>: PASS|FAIL|ERROR`` line per
test under its file, then ``PASS: n/N``. Pure; file and rule names come from the repository (a pull request),
so they pass the one terminal sanitiser."""

from __future__ import annotations

from reconciler.policy.report import Outcome, TestResult
from reconciler.render import safe


def render_tests(results: list[TestResult]) -> str:
    """The results as ``opa test`` prints them, grouped by file, with PASS/FAIL/ERROR counts."""
    lines: list[str] = []
    current = ""
    for result in results:
        if result.file != current:
            if current:
                lines.append("")
            lines.append(f"{safe.terminal(result.file)}:")
            current = result.file
        lines.append(f"{safe.terminal(result.rule)}: {result.outcome.value}")
        if result.problem is not None:
            lines.append(f"  {safe.terminal(result.problem.format())}")
    lines.append("-" * 80)
    total = len(results)
    for outcome in Outcome:
        count = sum(1 for r in results if r.outcome is outcome)
        if count or outcome is Outcome.PASS:
            lines.append(f"{outcome.value}: {count}/{total}")
    return "\n".join(lines) + "\n"
