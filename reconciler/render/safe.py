"""Untrusted text made safe for where it lands: the one terminal sanitiser and the one Markdown escaper.

Pure. Text from outside (live names, statuses and error messages from the API, workflow titles,
manifest values, GitHub users' words) never acts on a terminal and never becomes markup in a pull
request comment, a drift issue or a job summary (ARCHITECTURE §8). Every renderer passes each such
*value* through one of these helpers before placing it; the renderer's own markup and colour codes
are written around the escaped value, so they are unaffected.

- :func:`terminal`: C0 and C1 control characters (ESC, BEL, NUL, CR, LF, DEL, U+0080-U+009F) and the
  bidirectional overrides (U+202A-U+202E, U+2066-U+2069) shown escaped (``\\x1b``, ``\\n``,
  ``\\u202e``), never acted on. A value is then always one line.
- :func:`md_code`: an inline code span (fence longer than any backtick run inside; newlines shown as
  ``\\n``); ``cell=True`` for a table cell, where a pipe would end the cell.
- :func:`md_text` / :func:`md_cell`: prose and table cells. Every character that can start markup is
  backslash-escaped (so no emphasis, code, link, image, heading, list, math or raw HTML), ``@`` is
  followed by a zero-width space so it never mentions anyone, and ``www.``, ``scheme://`` and ``#123``
  are broken the same way so GitHub links nothing.
- :func:`html_text`: text inside the renderer's own HTML (``<summary>``, ``<code>``).
- :func:`md_block`: a fenced code block whose fence no line of the body can close.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BACKTICKS = re.compile(r"`+")
_MARKUP = re.compile(r"([\\`*_\[\]<>&!#|~$])")
"""Characters that can start inline markup anywhere in a line (``$`` is GitHub's math)."""
_LINE_START = re.compile(r"^(\d*)([-+=.)])")
"""What makes a line a list item, a setext underline or a thematic break when a value starts it."""
_ZWSP = "&#8203;"
"""A zero-width space, written as an entity: invisible, but it splits a mention or an autolink."""
_LINKISH = re.compile(r"(?i)(@|www(?=\.)|:(?=//)|\\#(?=\d))")
"""Where GitHub would see a mention, an autolink or an issue reference in escaped prose."""
_HTML_LINKISH = re.compile(r"(?i)(@|www(?=\.)|:(?=//)|#(?=\d))")


def terminal(text: object) -> str:
    """``text`` as one line a terminal shows and never acts on: controls and bidi overrides escaped."""
    return _UNSAFE.sub(_escape_char, str(text))


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def md_code(text: object, *, cell: bool = False) -> str:
    """``text`` as inline code: a fence longer than any backtick run in it, so nothing inside can close it."""
    value = terminal(text)
    if not value:
        return ""
    ticks = "`" * (max((len(run) for run in _BACKTICKS.findall(value)), default=0) + 1)
    pad = " " if value[0] in "` " or value[-1] in "` " else ""
    code = f"{ticks}{pad}{value}{pad}{ticks}"
    return code.replace("|", "\\|") if cell else code


def md_text(text: object) -> str:
    """``text`` for a Markdown paragraph, heading or list item: shown exactly, never markup, mention or link."""
    escaped = _LINE_START.sub(r"\1\\\2", _MARKUP.sub(r"\\\1", terminal(text)))
    if escaped.startswith(" "):  # four leading spaces would start an indented code block
        escaped = "&#32;" + escaped[1:]
    return _LINKISH.sub(lambda m: m.group(0) + _ZWSP, escaped)


def md_cell(text: object) -> str:
    """``text`` for a Markdown table cell: as :func:`md_text`, and its pipes cannot end the cell."""
    return md_text(text)  # md_text escapes every pipe already (``\\|``)


def html_text(text: object) -> str:
    """``text`` inside the renderer's own HTML tags: one line, entities escaped, no mention."""
    return _HTML_LINKISH.sub(lambda m: m.group(0) + _ZWSP, html.escape(terminal(text), quote=True))


def md_block(lines: Iterable[object], info: str = "text") -> str:
    """A fenced code block of ``lines`` (each made one safe line); the fence is longer than any backtick run."""
    body = "\n".join(terminal(line) for line in lines)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"
