"""Natural order for names: ``load-1, load-2, load-10``, not ``load-1, load-10, load-2``.

Pure. Plans, status tables, drift reports and imports list deployments in this order, so a reader
finds ``load-10`` after ``load-9``. Digit runs compare as numbers, the rest case-insensitively, and the
name itself breaks ties, so the order is total and the same on every run.
"""

from __future__ import annotations

import re

_PARTS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """A sort key putting ``name`` in natural order (``sorted(names, key=natural_key)``)."""
    parts: list[tuple[int, int | str]] = []
    for index, part in enumerate(_PARTS.split(name)):
        if index % 2:
            parts.append((1, int(part)))
        elif part:
            parts.append((0, part.casefold()))
    return tuple(parts), name
