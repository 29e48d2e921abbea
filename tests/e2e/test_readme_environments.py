"""The README's Environments and Policy examples are the commands' real output (run from the repo root)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def console_block(command: str) -> str:
    """The output lines under ``$ command`` in a README console block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^\$ {re.escape(command)}\n(.*?)(?=^\$ |^```)", readme, re.MULTILINE | re.DOTALL)
    assert match, f"README has no `$ {command}` example"
    return match.group(1)


def test_validate_example(run_cli):
    result = run_cli("validate", "-f", "examples", cwd=ROOT)
    assert result.out == console_block("comfyops validate -f examples")


def test_missing_env_example(run_cli):
    result = run_cli("--emulator", "plan", "-f", "examples", cwd=ROOT)
    assert result.code == 1
    assert result.err == console_block("comfyops --emulator plan -f examples")


def test_print_example(run_cli):
    result = run_cli("validate", "-f", "examples", "--env", "prod", "--print", cwd=ROOT)
    head = "".join(result.out.splitlines(keepends=True)[:20])
    assert head == console_block("comfyops validate -f examples --env prod --print | head -20")


def test_prod_plan_example_ends_as_shown(run_cli):
    result = run_cli("--emulator", "plan", "-f", "examples", "--env", "prod", cwd=ROOT)
    assert result.code == 0, result
    shown = console_block("comfyops --emulator plan -f examples --env prod").removeprefix("...\n")
    assert result.out.endswith(shown)


def test_policy_test_example(run_cli):
    result = run_cli("policy", "test", "examples/policies", cwd=ROOT)
    assert result.code == 0
    assert result.out == console_block("comfyops policy test examples/policies")


def test_denied_plan_example(run_cli, tmp_path):
    import shutil

    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    environments = tmp_path / "examples" / "environments.yaml"
    environments.write_text(environments.read_text().replace(
        "spec: { min_instances: 0, hardware: AMPERE_24, protect: false }",
        "spec: { min_instances: 0, hardware: HOPPER_141, protect: false }"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("the plan ends:\n\n```console\n", 1)[1].split("```", 1)[0]
    plan = run_cli("--emulator", "plan", "-f", "examples", "--env", "staging", cwd=tmp_path)
    assert plan.code == 1
    assert plan.out.endswith(shown)
    apply = run_cli("--emulator", "apply", "-f", "examples", "--env", "staging", "--auto-approve", cwd=tmp_path)
    assert apply.code == 1
    assert "error: refusing to apply: the plan is denied by 2 policies" in apply.err
