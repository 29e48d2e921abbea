"""Colour only on a terminal, never with --no-color or NO_COLOR; secrets scrubbed from any text."""

from __future__ import annotations

import pytest

from reconciler.cli.output import scrub, use_color


class Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "flag", "env", "expected"),
    [(True, False, None, True), (False, False, None, False), (True, True, None, False), (True, False, "1", False)],
)
def test_colour_rules(monkeypatch, tty, flag, env, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    if env is not None:
        monkeypatch.setenv("NO_COLOR", env)
    assert use_color(no_color_flag=flag, stream=Stream(tty)) is expected


def test_scrub_replaces_longest_secrets_first():
    text = "token sk-abc and sk-abcdef here"
    assert scrub(text, {"sk-abc", "sk-abcdef"}) == "token (sensitive value) and (sensitive value) here"
