"""``--target`` patterns: which ones match no deployment at all (an error, with a did-you-mean).

Pure. A pattern is a name or a glob (``media-*``), matched case-sensitively against every name the
command knows: the declared deployments and the live ones. A pattern that matches none of them is
almost always a typo, and running on nothing while printing "No changes" would hide it.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable


def matches(name: str, targets: Iterable[str]) -> bool:
    """Whether ``name`` is selected by ``targets`` (no targets selects everything)."""
    patterns = tuple(targets)
    return not patterns or any(fnmatch.fnmatchcase(name, t) for t in patterns)


def unmatched(targets: Iterable[str], names: Iterable[str]) -> list[str]:
    """The patterns of ``targets`` that match none of ``names``, in the order given."""
    known = sorted(set(names))
    return [t for t in targets if not any(fnmatch.fnmatchcase(n, t) for n in known)]


def unmatched_message(targets: Iterable[str], names: Iterable[str]) -> tuple[str, str] | None:
    """``(summary, hint)`` for the patterns that match nothing, or None when every pattern matches."""
    known = sorted(set(names))
    missing = unmatched(targets, known)
    if not missing:
        return None
    quoted = ", ".join(repr(t) for t in missing)
    summary = f"--target {quoted} matches no deployment"
    guesses = [g for t in missing for g in difflib.get_close_matches(t, known, n=1, cutoff=0.6)]
    if guesses:
        hint = f"did you mean {', '.join(repr(g) for g in guesses)}?"
    else:
        hint = f"known deployments: {', '.join(known) if known else 'none'}"
    return summary, hint
