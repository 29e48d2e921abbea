"""``--target`` patterns: which deployments they select, and the patterns that select none.

Pure. Shared by every command that takes ``--target`` (plan, apply, smoke, drift), so that a
pattern matching no declared deployment is the same error, with the same did-you-mean, everywhere.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from reconciler.diagnostics import Diagnostic, Location, did_you_mean

TARGET_LOCATION = Location("--target")
_LISTED = 10


def selected(name: str, patterns: Iterable[str]) -> bool:
    """Whether ``name`` is selected: no patterns select everything, else any glob that matches it."""
    patterns = tuple(patterns)
    return not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def unmatched(patterns: Iterable[str], names: Iterable[str]) -> list[Diagnostic]:
    """One error per pattern that matches none of ``names`` (the declared deployments), with a hint."""
    known = sorted(set(names))
    problems = []
    for pattern in dict.fromkeys(patterns):
        if any(fnmatch.fnmatchcase(name, pattern) for name in known):
            continue
        problems.append(
            Diagnostic(f"{pattern!r} matches no declared deployment", TARGET_LOCATION, "", _hint(pattern, known))
        )
    return problems


def _hint(pattern: str, known: list[str]) -> str:
    if not known:
        return "no deployment is declared in the manifests read (check -f)"
    suggestion = did_you_mean(pattern, known)
    if suggestion:
        return suggestion
    listed = ", ".join(known[:_LISTED]) + (f" and {len(known) - _LISTED} more" if len(known) > _LISTED else "")
    return f"declared: {listed}"
