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
    from reconciler.cli.followups import complete, followup

    emulated = Session(out=Output(), emulator=True)
    assert complete("run `comfyops apply` first, or `comfyops --emulator plan`", emulated) == (
        "run `comfyops --emulator apply` first, or `comfyops --emulator plan`"
    )
    remote = Session(out=Output(), api_url="https://user:pw@api.example")
    assert followup("apply", "p.json", app=remote, manifests=False) == (
        "comfyops --api-url https://api.example apply p.json"
    )
    assert complete("`comfyops plan`", Session(out=Output())) == "`comfyops plan`"


def test_follow_ups_carry_the_manifests_and_environment_where_the_command_takes_them() -> None:
    from reconciler.cli.followups import complete, followup

    app = Session(out=Output(), emulator=True, invoked_files=("my repo", "b.yaml"), invoked_environment="staging")
    assert followup("plan", "--out", "FILE", app=app) == (
        "comfyops --emulator plan --out FILE -f 'my repo' -f b.yaml --env staging"
    )
    assert followup("request", "result", "d", "r1", app=app) == (
        "comfyops --emulator request result d r1 -f 'my repo' -f b.yaml --env staging"
    )
    assert followup("schema", "--check", app=app) == "comfyops --emulator schema --check"  # takes neither
    assert complete("re-run `comfyops plan --env prod --out FILE`; see `comfyops show plan.json`", app) == (
        "re-run `comfyops --emulator plan --env prod --out FILE -f 'my repo' -f b.yaml`; "
        "see `comfyops --emulator show plan.json --env staging`"
    )
    assert complete("`comfyops plan --format markdown > plan.md`", app) == (
        "`comfyops --emulator plan --format markdown -f 'my repo' -f b.yaml --env staging > plan.md`"
    )
