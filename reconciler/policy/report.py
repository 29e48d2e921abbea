"""What policy evaluation found: the messages of ``deny``/``violation`` (blocking) and ``warn`` rules.

Pure values, carried on the Plan (``Plan.policy``) so that every renderer shows them and a saved plan
remembers them; ``apply`` refuses a plan whose report has any denial.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.diagnostics import Diagnostic

BLOCKING_RULES = ("deny", "violation")
ADVISORY_RULES = ("warn",)


class PolicyMessage(BaseModel):
    """One message a rule produced, conftest-style: the namespace, the rule and the message string."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    namespace: str
    rule: Literal["deny", "violation", "warn"]
    message: str
    details: dict[str, Any] | None = Field(default=None, description="The rest of an object result ({msg, ...}).")


class PolicyReport(BaseModel):
    """The policy files evaluated, the namespaces queried, and what they said."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    files: list[str] = Field(default_factory=list)
    namespaces: list[str] = Field(default_factory=list)
    denials: list[PolicyMessage] = Field(default_factory=list)
    warnings: list[PolicyMessage] = Field(default_factory=list)

    @property
    def denied(self) -> bool:
        """Whether any blocking rule fired: plan exits 1 and apply refuses."""
        return bool(self.denials)

    def summary(self) -> str:
        """``Policy: 2 denied, 1 warning (3 files, namespace main).``"""
        denied = f"{len(self.denials)} denied"
        warned = f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}"
        files = f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        spaces = f"namespace{'s' if len(self.namespaces) != 1 else ''} {', '.join(self.namespaces)}"
        verdict = "failed" if self.denied else "passed"
        return f"Policy {verdict}: {denied}, {warned} ({files}, {spaces})."


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
