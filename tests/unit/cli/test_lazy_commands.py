"""Commands are imported when they run, so a quick command never pays for what others need."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import COMMAND_MODULES, cli, command_name

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_each_command_module_defines_the_command_named_after_it(module: str) -> None:
    command = importlib.import_module(f"reconciler.cli.{module}").command
    assert command.name == command_name(module)


def test_help_lists_every_command() -> None:
    import click

    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(command_name(m) for m in COMMAND_MODULES)


def test_validate_imports_neither_the_http_stack_nor_the_differ_nor_the_emulator_nor_croniter() -> None:
    """croniter runs `file` on the interpreter when imported: only manifests that declare windows need it."""
    probe = (
        "import sys\n"
        "from reconciler.cli import main\n"
        "try:\n"
        f"    main(['validate', '-f', {str(EXAMPLES)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "import json\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'deepdiff', 'starlette', 'uvicorn', 'regopy', 'croniter'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.splitlines()[-1]) == []


def test_version_alone_imports_neither_click_nor_pydantic_nor_yaml() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['comfyops', '--version']\n"
        "from reconciler.entry import main\n"
        "main()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'click', 'pydantic', 'yaml', 'httpx'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    from reconciler import __version__

    assert out.splitlines() == [f"comfyops, version {__version__}", "[]"]
    same = subprocess.run([sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True, check=True)
    assert "--version" in same.stdout  # the option itself still exists for click's help and parsing
