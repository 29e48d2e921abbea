"""``comfyops fmt [-f PATH] [--check] [--diff]`` (issue 23 §5)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

UNFORMATTED = ("kind: Deployment\napiVersion: comfyops/v1\nmetadata: {name: a}  # mine\nspec:\n"
               "  workflow_version: v1\n  workflow_id: 'w'\n")
FORMATTED = ("apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: a}  # mine\nspec:\n"
             "  workflow_id: \"w\"\n  workflow_version: v1\n")


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    (repo / "deploy" / "a.yaml").write_text(UNFORMATTED)
    (repo / "deploy" / "ok.yaml").write_text(FORMATTED.replace("name: a", "name: b"))
    (repo / "docker-compose.yaml").write_text("services: {web: {image: nginx}}\nversion: '3'\n")
    return repo


def test_check_lists_the_files_that_would_change_and_writes_nothing(run_cli: Any, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = run_cli("fmt", "--check", cwd=repo)
    assert result.code == 1, result
    assert result.out == "deploy/a.yaml\n"
    assert "error: 1 file is not in the canonical layout" in result.err
    assert (repo / "deploy" / "a.yaml").read_text() == UNFORMATTED


def test_diff_shows_the_change(run_cli: Any, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    result = run_cli("fmt", "--check", "--diff", cwd=repo)
    assert result.code == 1
    assert "+apiVersion: comfyops/v1\n" in result.out and "+  workflow_id: \"w\"\n" in result.out
    assert "-  workflow_id: 'w'\n" in result.out
    assert "--- deploy/a.yaml (as written)" in result.out


def test_fmt_rewrites_in_place_keeping_the_mode_then_check_passes(run_cli: Any, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "deploy" / "a.yaml").chmod(0o640)
    compose = (repo / "docker-compose.yaml").read_text()
    result = run_cli("fmt", "-f", ".", cwd=repo)
    assert result.code == 0, result
    assert result.out == "deploy/a.yaml\n"
    assert (repo / "deploy" / "a.yaml").read_text() == FORMATTED
    assert stat.S_IMODE((repo / "deploy" / "a.yaml").stat().st_mode) == 0o640
    assert (repo / "docker-compose.yaml").read_text() == compose  # not a manifest: left alone
    assert sorted(p.name for p in (repo / "deploy").iterdir()) == ["a.yaml", "ok.yaml"]  # no temp file left
    assert run_cli("fmt", "--check", cwd=repo).code == 0


def test_a_symlinked_manifest_is_not_written_through(run_cli: Any, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    outside = tmp_path / "outside.yaml"
    outside.write_text(UNFORMATTED)
    os.symlink(outside, repo / "deploy" / "link.yaml")
    result = run_cli("fmt", "-f", "deploy", cwd=repo)
    assert result.code == 1, result
    assert "deploy/link.yaml: not formatted:" in result.err and "symbolic link" in result.err
    assert outside.read_text() == UNFORMATTED
    assert (repo / "deploy" / "a.yaml").read_text() == FORMATTED  # the others are still formatted


def test_invalid_yaml_is_an_error_and_untouched(run_cli: Any, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "deploy" / "bad.yaml").write_text("apiVersion: comfyops/v1\nkind: [\n")
    result = run_cli("fmt", "-f", "deploy", cwd=repo)
    assert result.code == 1
    assert "deploy/bad.yaml" in result.err
    assert (repo / "deploy" / "bad.yaml").read_text() == "apiVersion: comfyops/v1\nkind: [\n"
