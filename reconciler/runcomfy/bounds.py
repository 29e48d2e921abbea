"""How much of a remote answer ComfyOps reads, and how deep a JSON answer may nest: every read is bounded.

Pure. An API response, a deployed workflow, an object_info file or an output download comes from a remote
(ARCHITECTURE §8): it may be endless, huge or nested thousands of levels deep. The client reads each body
up to its limit (then stops and reports it in one line) and decodes JSON with :func:`loads`, which turns
nesting Python cannot parse, or nesting deeper than :data:`MAX_JSON_DEPTH`, into a ``ValueError`` instead
of a ``RecursionError`` somewhere later (in a diff, a fingerprint, a renderer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

MIB: Final[int] = 1024 * 1024
API_RESPONSE_LIMIT: Final[int] = 256 * MIB
"""An API response body (a deployment list with payloads for thousands of deployments fits well within)."""
OBJECT_INFO_LIMIT: Final[int] = 64 * MIB
"""A deployment's object_info (the documented limit, as for object_info files on disk)."""
DOWNLOAD_LIMIT: Final[int] = 1024 * MIB
"""One output file (an image, a video)."""
MAX_JSON_DEPTH: Final[int] = 64
"""Deepest nesting of objects and arrays in a remote JSON answer (real ones nest about ten)."""


class TooLarge(ValueError):
    """A body went past its limit; reading stopped there."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the response is larger than {human(limit)} (the limit); reading stopped there")
        self.limit = limit


def human(size: int) -> str:
    """``64 MiB``: a byte count as users read it."""
    return f"{size // MIB} MiB" if size >= MIB and size % MIB == 0 else f"{size:,} bytes"


def read_capped(chunks: Iterable[bytes], limit: int) -> bytes:
    """The concatenated ``chunks``, or :class:`TooLarge` as soon as they pass ``limit`` bytes."""
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise TooLarge(limit)
        parts.append(chunk)
    return b"".join(parts)


def loads(content: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode JSON, refusing (``ValueError``) nesting deeper than ``max_depth`` however deep it is."""
    try:
        data = json.loads(content)
    except RecursionError:
        raise ValueError(f"JSON nested more than {max_depth} levels deep") from None
    if depth(data, stop_after=max_depth) > max_depth:
        raise ValueError(f"JSON nested more than {max_depth} levels deep")
    return data


def depth(value: Any, *, stop_after: int) -> int:
    """How deep ``value`` nests (a scalar is 0), measured iteratively; stops counting past ``stop_after``.

    Level by level: only the containers of each level are kept for the next one (a list of thousands of
    flat records is two levels, measured with one pass over their values)."""
    deepest = 0
    containers = (dict, list)
    level: list[Any] = [value] if isinstance(value, containers) else []
    while level:
        deepest += 1
        if deepest > stop_after:
            return deepest
        below: list[Any] = []
        for item in level:
            below += [child for child in (item.values() if isinstance(item, dict) else item)
                      if isinstance(child, containers)]
        level = below
    return deepest
