"""The cancel command printed for a request that may still run after Ctrl-C carries the options in use."""

from __future__ import annotations

from reconciler.cli.output import Output
from reconciler.manifest.desired import DesiredState, EnvironmentInfo
from reconciler.manifest.model import SettingsSpec
from reconciler.session.cancelling import cancel_command
from reconciler.session.session import Session


def _desired(token_env: str | None = None) -> DesiredState:
    env = EnvironmentInfo(name="prod", token_env=token_env) if token_env else None
    return DesiredState(deployments=(), presets={}, settings=SettingsSpec(), files=(), environment=env)


def test_the_command_carries_the_global_options_in_use() -> None:
    assert cancel_command(Session(out=Output(), emulator=True), _desired())("dep 1", "r1") == (
        "comfyops --emulator request cancel 'dep 1' r1"
    )
    assert cancel_command(Session(out=Output(), api_url="http://127.0.0.1:9/"), _desired())("d", "r") == (
        "comfyops --api-url http://127.0.0.1:9/ request cancel d r"
    )
    assert cancel_command(Session(out=Output()), _desired())("d", "r") == "comfyops request cancel d r"


def test_an_environment_with_its_own_token_variable_passes_that_token() -> None:
    assert cancel_command(Session(out=Output()), _desired("RUNCOMFY_PROD_TOKEN"))("d", "r") == (
        'RUNCOMFY_API_TOKEN="$RUNCOMFY_PROD_TOKEN" comfyops request cancel d r'
    )
