"""Hostile strings (what a malicious API or GitHub user can put in a name, a status or a message) and the
checks that every text and Markdown output shows them without acting on them.

Terminal text is checked on its characters: no ESC, BEL, NUL, CR, C1 or bidi override from the data,
and no line the data added (a newline in a live name printed a fake ``Plan: ...`` line). Markdown is
parsed as GitHub would (markdown-it-py with raw HTML and autolinks on) and compared, token for token,
with the same report rendered from a plain word: any difference is markup the data made. Mentions and
issue references, which GitHub adds after parsing, are looked for in the text that comes out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markdown_it import MarkdownIt

PLAIN = "plain"
"""The benign twin: the same report with this word in place of the hostile string."""

FAKE_PLAN = "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete."
HOSTILE: dict[str, str] = {
    "osc52": "media-a\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07",
    "osc0": "\x1b]0;owned\x07title\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "csi": "\x1b[2J\x1b[1;31mred\x1b[0m\x9b31m",
    "nul": "a\x00b\x7fc\x85d",
    "cr": f"ok\r{FAKE_PLAN}",
    "lf": f"x\n{FAKE_PLAN}\n",
    "bidi": "admin\u202eexe.txt\u2066x\u2069\u202a",
    "backticks": "a`b``c```d",
    "fence": "a\n```\nb\n~~~",
    "blank": "name\n\n</details>\n\n# heading",
    "mention": "@octocat and @github/security-team",
    "image": "![t](http://tracker.example/p.png)",
    "link": "[click](https://evil.example) www.evil.example https://evil.example/x <https://a.example> x@evil.example",
    "html": "<details open><summary>x</summary><img src=x onerror=alert(1)></details><!-- comfyops:plan -->",
    "pipes": "a|b||c\\|d",
    "blocks": "# Title\n---\n1. item\n    code\n> quote\n- [ ] task",
    "entities": "&lt;b&gt; &#64;octocat &amp;",
    "refs": "#1 GH-2 octo/repo#3 $x^2$ :smile:",
}
ALL = "".join(HOSTILE.values())
HOSTILE["all"] = ALL

_SGR = re.compile(r"\x1b\[[0-9;]*m")
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
_ISSUE_REF = re.compile(r"(?<![\w&])#\d")
OWN_TAGS = frozenset({"details", "summary", "code", "b", "br"})

GITHUB = MarkdownIt("gfm-like", {"html": True, "linkify": True})
GITHUB.linkify.set({"fuzzy_link": False})
"""GitHub's settings: tables, strikethrough, raw HTML and autolinks (``www.``, ``scheme://`` and e-mail
addresses; a bare ``example.com`` is not linked, as on GitHub)."""


def assert_terminal_safe(hostile: str, plain: str, *, color: bool = False) -> None:
    """``hostile`` (a render with hostile data) has no control or bidi character from the data, and no more
    lines than ``plain`` (the same render with a plain word): nothing the data held acted on the terminal."""
    assert_no_controls(_SGR.sub("", hostile) if color else hostile)
    assert hostile.count("\n") == plain.count("\n"), f"the data added lines:\n{hostile}"
    assert sum(line.startswith("Plan:") for line in hostile.splitlines()) == sum(
        line.startswith("Plan:") for line in plain.splitlines()
    )


def assert_no_controls(text: str) -> None:
    """``text`` holds no control character but newlines, and no bidi override."""
    found = _UNSAFE.findall(text)
    assert not found, f"raw control characters {found!r} in:\n{text}"


def assert_markdown_safe(hostile: str, plain: str) -> None:
    """``hostile`` parses, as GitHub would, to the same markup as ``plain``; its text mentions and links nothing."""
    assert "\x1b" not in hostile and "\x00" not in hostile and "\u202e" not in hostile
    got, want = shape(hostile), shape(plain)
    assert got == want, _first_difference(got, want, hostile)
    for token in GITHUB.parse(hostile):
        for child in [token, *(token.children or [])]:
            if child.type == "text":
                assert not _MENTION.search(child.content), f"a mention in {child.content!r}"
                assert not _ISSUE_REF.search(child.content), f"an issue reference in {child.content!r}"
            if child.type in ("html_block", "html_inline"):
                _own_html_only(child.content)


def _own_html_only(content: str) -> None:
    tags = {t.lower() for t in re.findall(r"<\s*/?\s*([A-Za-z][A-Za-z0-9-]*)", content)}
    assert tags <= OWN_TAGS, f"foreign HTML tags {sorted(tags - OWN_TAGS)} in {content!r}"
    assert not _MENTION.search(re.sub(r"<code>.*?</code>", "", content)), f"a mention in HTML {content!r}"
    assert content.count("<!--") == content.count("<!-- comfyops"), content


def shape(markdown: str) -> list[tuple[Any, ...]]:
    """The token structure of ``markdown`` with text contents left out (runs of text merged)."""
    out: list[tuple[Any, ...]] = []
    for token in GITHUB.parse(markdown):
        if token.type == "inline":
            out.append(("inline", tuple(_inline_shape(token.children or []))))
        elif token.type in ("html_block", "html_inline"):
            tags = tuple(re.findall(r"<\s*(/?\s*[A-Za-z][A-Za-z0-9-]*)", token.content))
            out.append((token.type, tags))
        else:
            out.append((token.type, token.tag, token.nesting, token.info if token.type == "fence" else ""))
    return out


def _inline_shape(children: list[Any]) -> list[tuple[str, ...]]:
    shaped: list[tuple[str, ...]] = []
    for child in children:
        kind = "text" if child.type in ("text", "text_special") else child.type
        if kind == "text" and shaped and shaped[-1] == ("text",):
            continue
        if child.type == "html_inline":
            shaped.append((kind, *re.findall(r"<\s*(/?\s*[A-Za-z][A-Za-z0-9-]*)", child.content)))
        else:
            shaped.append((kind, child.tag, str(child.attrGet("href") or "")))
    return shaped


def _first_difference(got: list[Any], want: list[Any], markdown: str) -> str:
    for index, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return f"token {index}: got {a}, want {b}\n---\n{markdown}"
    return f"{len(got)} tokens, want {len(want)}\n---\n{markdown}"


def each_hostile(render: Callable[[str], str], check: Callable[[str, str], None]) -> None:
    """``check(render(hostile), render(PLAIN))`` for every hostile string."""
    plain = render(PLAIN)
    for name, value in HOSTILE.items():
        try:
            check(render(value), plain)
        except AssertionError as exc:
            raise AssertionError(f"hostile string {name!r}: {exc}") from None
