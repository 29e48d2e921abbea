"""The README tells the truth: every option is documented, the quickstart works as written and prints
what the README says it prints, and CI runs exactly the README's test command (issue 8 §8)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest

from reconciler.cli import cli
from reconciler.emulator.state import EmulatorState

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# documented once: -f/--env for every command that reads manifests, --summary for every command that has it
GENERAL_OPTIONS = {"--file", "--help", "--env", "--summary"}


def _commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    """Every command, loading the lazy group's modules (``group.commands`` holds only those already used)."""
    context = click.Context(group)
    found: list[tuple[str, click.Command]] = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        full = (*path, name)
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                found.append((" ".join(full), command))
            found += _commands(command, full)
        else:
            found.append((" ".join(full), command))
    return found


def test_the_option_check_sees_every_command() -> None:
    names = {path for path, _ in _commands()}
    assert {"plan", "apply", "smoke", "validate", "github comment", "emulator serve"} <= names


def _names(line: str, path: str) -> bool:
    """Whether a README line names the command `comfyops <path>`, also as one of `status\\|result\\|...`."""
    *group, last = path.split(" ")
    prefix = " ".join(("`comfyops", *group))
    pattern = re.escape(prefix) + r" ((?:[\w-]+\\\|)*[\w-]+)"
    return f"`comfyops {path}" in line or any(last in m.split("\\|") for m in re.findall(pattern, line))


def _long_options(command: click.Command) -> list[str]:
    return [o for p in command.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")]


def _sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize(("path", "command"), _commands(), ids=[p for p, _ in _commands()])
def test_every_option_of_every_command_is_documented_in_its_row(path: str, command: click.Command) -> None:
    rows = "\n".join(line for line in README.splitlines() if _names(line, path))
    assert rows, f"the README has no row for `comfyops {path}`"
    missing = [o for o in _long_options(command) if o not in GENERAL_OPTIONS and o not in rows]
    assert missing == [], f"`comfyops {path}` options missing from its README row: {missing}"


def test_every_global_option_is_documented() -> None:
    paragraph = next(p for p in README.split("\n\n") if p.startswith("Global options go before the command"))
    assert [o for o in _long_options(cli) if o not in ("--help", "--version") and o not in paragraph] == []


def test_the_quickstart_installs_only_the_package_and_the_test_line_the_test_extra() -> None:
    first = _sh_blocks()[0]
    assert "pip install -e . " in first and "[test]" not in first
    test_line = next(line for block in _sh_blocks() for line in block.splitlines() if "pytest" in line)
    assert test_line == 'pip install -e ".[test]" && python -m pytest'


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_line = next(line for block in _sh_blocks() for line in block.splitlines() if "pytest" in line)
    assert test_line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_validate_prints_what_the_readme_says(run_cli: Any, examples: Path) -> None:
    result = run_cli("validate", "-f", "examples", cwd=examples.parent)
    assert result.code == 0, result
    lines = result.out.strip().splitlines()
    assert len(lines) == 2, result.out  # one line per example environment
    assert f"`comfyops validate -f examples` prints `{'` and `'.join(lines)}`" in README


def _comfyops_lines(block: str) -> list[list[str]]:
    commands = []
    for line in block.splitlines():
        for part in line.split("#", 1)[0].split("&&"):
            words = shlex.split(part)
            if words and words[0] == "comfyops":
                commands.append(words[1:])
    return commands


def _quoted_after(marker: str) -> str:
    return re.search(re.escape(marker) + r"[^`]*`([^`]+)`", README, flags=re.S).group(1)  # type: ignore[union-attr]


def test_the_quickstart_walk_prints_what_the_readme_says(run_cli: Any, examples: Path) -> None:
    EmulatorState(Path(os.environ["COMFYOPS_EMULATOR_STATE"])).configure(
        rate_limit_enabled=False, queue_seconds=0, run_seconds=0.1
    )
    tmp_path = examples.parent
    first, walk = _sh_blocks()[0], _sh_blocks()[1]
    outputs = [run_cli(*words, cwd=tmp_path) for words in _comfyops_lines(first)]
    assert all(o.code == 0 for o in outputs), outputs
    assert _quoted_after("and plans\nagain:") in outputs[-1].out
    manifest = tmp_path / "examples" / "deployments" / "txt2img.yaml"
    assert "max_instances: 4" in manifest.read_text()
    manifest.write_text(manifest.read_text().replace("max_instances: 4", "max_instances: 5"))
    plan, show, apply, smoke = [run_cli(*words, cwd=tmp_path) for words in _comfyops_lines(walk)]
    assert [r.code for r in (plan, show, apply, smoke)] == [0, 0, 0, 0], (plan, show, apply, smoke)
    assert _quoted_after("The plan ends with") in plan.out
    assert _quoted_after("apply with") in apply.out
    assert _quoted_after("and smoke with") in smoke.out
