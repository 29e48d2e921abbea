"""The one Markdown fitter: cutting Markdown to GitHub's size limits so that its head survives and the cut
is announced.

Pure. GitHub refuses a comment over 65,536 characters and stops reading a step summary at 1 MiB.
Two entry points, for the two shapes of report: :func:`fit_items` builds a report from a head that is
never cut and items (one per change or row) dropped from the end, with a notice counting them;
:func:`fit` cuts any finished Markdown (a body given to ``github comment``, a step summary): it keeps
the longest head of whole lines that fits together with a notice saying where the full report is,
preferring to cut at a block boundary (after a blank line or a ``</details>``), and closes any code
fence or ``<details>`` left open by the cut so the rest of the page still renders. ``measure`` says how
size is counted: characters for comments, UTF-8 bytes for summaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def chars(text: str) -> int:
    """Size in characters (GitHub's comment and issue body limit counts these)."""
    return len(text)


def utf8_bytes(text: str) -> int:
    """Size in UTF-8 bytes (the step summary limit counts these)."""
    return len(text.encode("utf-8"))


@dataclass
class _Scan:
    fence: str = ""
    details: int = 0

    def feed(self, line: str) -> None:
        match = _FENCE.match(line)
        if match:
            mark = match.group(1)
            if not self.fence:
                self.fence = mark
            elif mark[0] == self.fence[0] and len(mark) >= len(self.fence) and not line.strip()[len(mark) :].strip():
                self.fence = ""
            return
        if self.fence:
            return
        self.details += len(re.findall(r"<details\b", line, re.IGNORECASE))
        self.details = max(0, self.details - len(re.findall(r"</details>", line, re.IGNORECASE)))

    def closing(self) -> str:
        out = f"{self.fence}\n" if self.fence else ""
        return out + "</details>\n" * self.details


def fit(text: str, limit: int, notice: str, *, measure: Callable[[str], int] = chars) -> str:
    """``text`` unchanged when it fits in ``limit``; else its head, closed, plus ``notice``, within ``limit``."""
    if measure(text) <= limit:
        return text
    tail = f"\n{notice}\n"
    lines = text.splitlines(keepends=True)
    scan = _Scan()
    size = 0
    best_line: tuple[int, str] | None = None
    best_block: tuple[int, str] | None = None
    for index, line in enumerate(lines):
        size += measure(line)
        scan.feed(line)
        closing = scan.closing()
        if size + measure(closing) + measure(tail) > limit:
            break
        best_line = (index + 1, closing)
        if not scan.fence and (not line.strip() or line.strip().lower() == "</details>"):
            best_block = (index + 1, closing)
    if best_block is not None and best_line is not None and best_block[0] * 2 >= best_line[0]:
        best_line = best_block
    if best_line is None:
        return _hard_cut(text, limit, tail, measure)
    kept, closing = best_line
    head = "".join(lines[:kept])
    if not head.endswith("\n"):
        head += "\n"
    return head + closing + tail


def _hard_cut(text: str, limit: int, tail: str, measure: Callable[[str], int]) -> str:
    """The first line alone is too long: cut characters (binary search on the measured size)."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[:mid]) + measure(tail) + 1 <= limit:
            low = mid
        else:
            high = mid - 1
    if low == 0:
        return tail.strip()[: max(0, limit)]
    return text[:low] + "\n" + tail


def fit_items(head: list[str], items: list[str], tail: list[str], *, limit: int,
              notice: Callable[[int, int], str], hint: str, glue: str = "\n\n", lead: str = "") -> str:
    """Head + as many items as fit + a cut notice (``notice(cut, total)``) + tail, never longer than ``limit``
    characters; when even the head does not fit, the text itself is cut, with ``hint`` saying where to look."""

    def join(kept: int) -> str:
        block = [lead + glue.join(items[:kept])] if kept else []
        cut = [notice(len(items) - kept, len(items))] if kept < len(items) else []
        return "\n\n".join([*head, *block, *cut, *tail]) + "\n"

    full = join(len(items))
    if len(full) <= limit:
        return full
    budget = limit - len(join(0)) - len(lead) - 2
    kept = 0
    while kept < len(items) and budget >= len(items[kept]) + len(glue):
        budget -= len(items[kept]) + len(glue)
        kept += 1
    result = join(kept)
    while len(result) > limit and kept > 0:
        kept -= 1
        result = join(kept)
    return result if len(result) <= limit else _cut_text(result, limit, hint)


def _cut_text(body: str, limit: int, hint: str) -> str:
    """Last resort when even the never-truncated head does not fit: cut the text itself."""
    suffix = f"\n\n_Output cut to {limit:,} characters; {hint}._\n"
    if limit <= len(suffix) * 2:
        return body[:limit]
    return body[: limit - len(suffix)] + suffix
