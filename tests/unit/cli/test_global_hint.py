"""A global option given after the command: the hint shows the command line with it moved before."""

from __future__ import annotations

import pytest

from reconciler.cli import moved_globals_hint
from reconciler.cli.output import Output
from reconciler.session.session import Session


@pytest.mark.parametrize(
    ("option", "args", "expected"),
    [
        ("--emulator", ["plan", "--emulator"], "comfyops --emulator plan"),
        ("--api-url", ["plan", "--api-url", "http://h:1", "-f", "x"], "comfyops --api-url http://h:1 plan -f x"),
        ("--api-url", ["plan", "--api-url=http://h:1"], "comfyops --api-url=http://h:1 plan"),
        ("-v", ["--emulator", "apply", "p.json", "-v"], "comfyops --emulator -v apply p.json"),
        ("--no-color", ["emulator", "serve", "--no-color"], "comfyops --no-color emulator serve"),
    ],
)
def test_the_hint_moves_the_option_before_the_command(option: str, args: list[str], expected: str) -> None:
    assert moved_globals_hint(option, args) == f"{option} is a global option and goes before the command: {expected}"


def test_an_unknown_option_that_is_not_global_gets_no_hint() -> None:
    assert moved_globals_hint("--emulatr", ["plan", "--emulatr"]) == ""


def test_follow_up_commands_get_the_global_options_once_and_never_a_url_password() -> None:

    emulated = Session(out=Output(), emulator=True)
    assert emulated.mention_globals("run `comfyops apply` first, or `comfyops --emulator plan`") == (
        "run `comfyops --emulator apply` first, or `comfyops --emulator plan`"
    )
    remote = Session(out=Output(), api_url="https://user:pw@api.example")
    assert remote.command_line("apply p.json") == "comfyops --api-url https://api.example apply p.json"
    assert Session(out=Output()).mention_globals("`comfyops plan`") == "`comfyops plan`"
