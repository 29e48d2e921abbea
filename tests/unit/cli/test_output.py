"""Colour only on a terminal, never with --no-color or NO_COLOR; every line a command prints is masked."""

from __future__ import annotations

import pytest

from reconciler.cli.output import Output, use_color
from reconciler.secrets import REDACTED, mask


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


def test_mask_replaces_longest_secrets_first():
    text = "token sk-abc and sk-abcdef here"
    assert mask(text, {"sk-abc", "sk-abcdef"}) == "token (sensitive value) and (sensitive value) here"
    assert mask(text, ["sk-abc", "sk-abcdef"], token=REDACTED) == "token *** and *** here"


def test_a_commands_output_masks_every_line_it_prints(capsys):
    out = Output()
    out.echo("before sk-abcdef")
    out.learn(["sk-abcdef", ""])
    out.echo("value sk-abcdef")
    out.note("note sk-abcdef")
    out.error("failed with sk-abcdef", "detail sk-abcdef")
    captured = capsys.readouterr()
    assert captured.out == "before sk-abcdef\nvalue (sensitive value)\n"
    assert "sk-abcdef" not in captured.err
    assert captured.err.count("(sensitive value)") == 3


def test_progress_displays_and_stream_writers_are_masked_too(capsys):
    out = Output()
    out.learn(["sk-abcdef"])
    progress = out.progress(["media-a"], live=False)
    progress.update("media-a", "running", "request sk-abcdef")
    progress.close()
    out.progress((), live=True).close()  # a live block on a non-terminal still goes through the object
    out.stderr.write("logged sk-abcdef\n")
    captured = capsys.readouterr()
    assert "sk-abcdef" not in captured.err
    assert "media-a: running request (sensitive value)" in captured.err
    assert "logged (sensitive value)" in captured.err
    assert captured.out == ""
