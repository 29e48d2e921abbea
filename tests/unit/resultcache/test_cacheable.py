"""Which command lines the validate result cache may serve: validate only, never help, -v or --no-cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.resultcache.key import cacheable, primary_key


@pytest.mark.parametrize("argv", [
    ["validate", "-f", "examples"],
    ["--no-color", "validate"],
    ["--emulator", "--api-url", "http://x", "validate", "--env", "prod", "--print"],
    ["--api-url=http://x", "validate", "--format", "json"],
])
def test_validate_with_any_options_is_served(argv: list[str]) -> None:
    assert cacheable(argv)


@pytest.mark.parametrize("argv", [
    [], ["plan", "-f", "examples"], ["validate", "--no-cache"], ["validate", "--help"], ["validate", "-h"],
    ["-v", "validate"], ["--verbose", "validate"], ["-vv", "validate"], ["--api-url", "validate"],
    ["--version"], ["fmt", "validate"],
])
def test_anything_else_runs_in_full(argv: list[str]) -> None:
    assert not cacheable(argv)


def test_the_key_tells_command_lines_folders_and_output_settings_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    first = primary_key(["validate", "-f", "."])
    assert primary_key(["validate", "-f", "."]) == first
    assert primary_key(["validate", "-f", ".", "--env", "prod"]) != first
    monkeypatch.chdir(tmp_path)
    elsewhere = primary_key(["validate", "-f", "."])
    assert elsewhere != first
    monkeypatch.setenv("NO_COLOR", "1")
    assert primary_key(["validate", "-f", "."]) != elsewhere
