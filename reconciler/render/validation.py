"""The ``validate`` report: Markdown for the job summary, and ``validate --format json`` for editors and CI.

Pure: values in, a string out. Text from outside is escaped by :mod:`reconciler.render.safe` (Markdown).
The JSON is one document, ``format_version`` 1 (a stable contract like ``plan --format json``)::

    {"format_version": 1, "valid": false,
     "environments": [{"name": "staging", "valid": true, "deployments": 3, "presets": 3}, ...],
     "problems": [{"file": "d.yaml", "line": 4, "column": 3, "field": "spec.hardware",
                   "severity": "error", "message": "...", "hint": "...", "environments": ["prod"]}]}

``name`` is null when the manifests declare no environments; ``line`` and ``column`` are null when
unknown, ``file`` when the problem has no place. A problem found in several environments is listed
once, with each environment that has it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.diagnostics import Diagnostic
from reconciler.render import safe

_LIST_LIMIT = 200

FORMAT_VERSION = 1


@dataclass(frozen=True)
class EnvironmentVerdict:
    """One environment's (or the only set's) result: its counts when it loaded, and its problems."""

    name: str | None
    problems: Sequence[Diagnostic]
    deployments: int | None = None
    presets: int | None = None

    @property
    def valid(self) -> bool:
        """Loaded, and no problem is an error."""
        return self.deployments is not None and not any(p.is_error for p in self.problems)


def problem_dict(problem: Diagnostic) -> dict[str, Any]:
    """One problem as JSON: file, line, column, field, severity, message, hint."""
    where = problem.location
    return {
        "file": where.path if where is not None and where.path else None,
        "line": where.line or None if where is not None else None,
        "column": where.column or None if where is not None else None,
        "field": problem.field_path or None,
        "severity": problem.severity.value,
        "message": problem.message,
        "hint": problem.hint or None,
    }


def validation_json(verdicts: Sequence[EnvironmentVerdict]) -> str:
    """The verdicts and their problems (each once, naming the environments that have it) as JSON."""
    problems: dict[str, dict[str, Any]] = {}
    for verdict in verdicts:
        for problem in verdict.problems:
            entry = problems.setdefault(problem.format(), {**problem_dict(problem), "environments": []})
            if verdict.name is not None:
                entry["environments"].append(verdict.name)
    document = {
        "format_version": FORMAT_VERSION,
        "valid": all(v.valid for v in verdicts),
        "environments": [
            {"name": v.name, "valid": v.valid, "deployments": v.deployments, "presets": v.presets}
            for v in verdicts
        ],
        "problems": list(problems.values()),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def validation_markdown(valid: list[str], problems: list[Diagnostic], *, failure: str = "") -> str:
    """The ``validate`` result: the valid verdicts, the failure, then every problem as ``file:line:col: message``."""
    marked = [f"✅ **{safe.md_text(v)}**" for v in valid]
    marked += [f"❌ **{safe.md_text(failure)}**"] if failure else []
    lines = ["### ComfyOps validate", "", "  \n".join(marked)]
    if problems:
        lines += ["", safe.md_block(p.format() for p in problems[:_LIST_LIMIT])]
        if len(problems) > _LIST_LIMIT:
            lines.append(f"…and {len(problems) - _LIST_LIMIT:,} more (see the job log)")
    return "\n".join(lines) + "\n"

