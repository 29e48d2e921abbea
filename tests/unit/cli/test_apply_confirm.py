"""The piped answer to apply's prompt: read when it is there, never waited on forever."""

from __future__ import annotations

import os

import pytest

from reconciler.cli import apply


def test_a_piped_line_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"yes\n")
    os.close(write_end)
    with os.fdopen(read_end) as stream:
        assert apply._piped_line(stream) == "yes\n"


def test_an_open_pipe_with_nothing_in_it_is_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apply, "PIPED_ANSWER_WAIT_SECONDS", 0.05)
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(read_end) as stream:
            assert apply._piped_line(stream) == ""
    finally:
        os.close(write_end)


def test_a_closed_pipe_is_no_answer() -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    with os.fdopen(read_end) as stream:
        assert apply._piped_line(stream) == ""
