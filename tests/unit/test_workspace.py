"""The working copy's .comfyops/: one rule for where it is, every path named once, and safe writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reconciler import workspace


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git working copy with a subfolder, no overrides set."""
    for name in ("COMFYOPS_HISTORY", "COMFYOPS_EMULATOR_STATE", "COMFYOPS_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy" / "prod").mkdir(parents=True)
    return tmp_path


def test_every_path_is_at_the_repository_root_from_its_root(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert workspace.history_file() == Path(".comfyops/history.jsonl")
    assert workspace.emulator_state(["deploy/prod"]) == Path(".comfyops/emulator")
    assert workspace.cache_dir() == Path(".comfyops/cache")
    assert workspace.outputs_dir("r-1") == Path(".comfyops/outputs/r-1")
    assert workspace.apply_lock(repo / "deploy") == repo.resolve() / ".comfyops" / "apply.lock"


def test_running_from_a_subfolder_does_not_split_the_state(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "deploy" / "prod")
    assert workspace.history_file() == Path("../../.comfyops/history.jsonl")
    assert workspace.emulator_state(["."]) == Path("../../.comfyops/emulator")
    assert workspace.cache_dir() == Path("../../.comfyops/cache")
    assert workspace.apply_lock() == repo.resolve() / ".comfyops" / "apply.lock"


def test_outside_a_repository_the_working_directory_holds_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cwd" / "manifests").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setattr(workspace, "repository_root", lambda start: None)
    monkeypatch.delenv("COMFYOPS_EMULATOR_STATE", raising=False)
    assert workspace.emulator_state(["manifests"]) == Path(".comfyops/emulator")
    outside = workspace.emulator_state([str(tmp_path / "elsewhere")])
    assert outside == Path("../elsewhere/.comfyops/emulator")


def test_the_environment_overrides_each_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFYOPS_HISTORY", str(tmp_path / "h.jsonl"))
    monkeypatch.setenv("COMFYOPS_EMULATOR_STATE", str(tmp_path / "emu"))
    monkeypatch.setenv("COMFYOPS_CACHE_DIR", str(tmp_path / "cache"))
    assert workspace.history_file() == tmp_path / "h.jsonl"
    assert workspace.emulator_state() == tmp_path / "emu"
    assert workspace.emulator_state_configured()
    assert workspace.cache_dir() == tmp_path / "cache"


def test_a_write_refuses_a_planted_link_and_leaves_its_target_alone(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    planted = tmp_path / ".comfyops" / "state.json"
    planted.parent.mkdir()
    planted.symlink_to(victim)
    with pytest.raises(workspace.UnsafePath, match=r"state\.json: it is a symbolic link"):
        workspace.write_text(planted, "new", inside=tmp_path)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert planted.is_symlink()  # refused, not silently replaced
    assert [p.name for p in planted.parent.iterdir()] == ["state.json"]  # no temporary file left behind


def test_a_write_replaces_a_regular_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / ".comfyops" / "state.json"
    workspace.write_text(target, "old", inside=tmp_path)
    workspace.write_text(target, "new", inside=tmp_path)
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_a_fifo_at_the_target_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "history.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(workspace.UnsafePath, match="FIFO"):
        workspace.append_text(fifo, "x\n")
    with pytest.raises(workspace.UnsafePath, match="FIFO"):
        workspace.write_text(fifo, "x")


def test_the_lock_is_created_exclusively_and_a_linked_lock_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / ".comfyops" / "apply.lock"
    workspace.open_lock(lock).close()
    workspace.open_lock(lock).close()  # a lock left behind is opened again (taken over), not followed
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    lock.unlink()
    lock.symlink_to(victim)
    with pytest.raises(workspace.UnsafePath, match=r"apply\.lock"):
        workspace.open_lock(lock)
    assert victim.read_text(encoding="utf-8") == "precious"


def test_a_write_into_a_linked_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".comfyops").symlink_to(elsewhere)
    with pytest.raises(workspace.UnsafePath):
        workspace.write_bytes(tmp_path / "repo" / ".comfyops" / "state.json", b"x", inside=tmp_path / "repo")
    assert list(elsewhere.iterdir()) == []


def test_append_adds_lines_and_never_follows_a_link(tmp_path: Path) -> None:
    history = tmp_path / ".comfyops" / "history.jsonl"
    workspace.append_text(history, '{"a": 1}\n')
    workspace.append_text(history, '{"b": 2}\n')
    assert history.read_text(encoding="utf-8") == '{"a": 1}\n{"b": 2}\n'
    victim = tmp_path / "victim"
    victim.write_text("", encoding="utf-8")
    linked = tmp_path / ".comfyops" / "linked.jsonl"
    linked.symlink_to(victim)
    with pytest.raises(workspace.UnsafePath, match=r"linked\.jsonl"):
        workspace.append_text(linked, "x\n")
    assert victim.read_text(encoding="utf-8") == ""


def test_exclusive_create_only_when_nothing_is_there(tmp_path: Path) -> None:
    lock = tmp_path / ".comfyops" / "apply.lock"
    assert workspace.create_exclusive(lock, "pid 1")
    assert not workspace.create_exclusive(lock, "pid 2")
    assert lock.read_text(encoding="utf-8") == "pid 1"
    dangling = tmp_path / ".comfyops" / "other.lock"
    os.symlink(tmp_path / "nowhere", dangling)
    assert not workspace.create_exclusive(dangling)
    assert not (tmp_path / "nowhere").exists()


def test_a_linked_comfyops_folder_is_refused_for_the_lock(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".comfyops").symlink_to(elsewhere)
    with pytest.raises(workspace.UnsafePath, match=r"\.comfyops is a link"):
        workspace.open_lock(tmp_path / "repo" / ".comfyops" / "apply.lock", inside=tmp_path / "repo")
    assert list(elsewhere.iterdir()) == []


# Whole-or-nothing writes of the user's own files (fmt, import) honour the umask (issue 23 §4, §5).
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_user_file_gets_the_mode_the_umask_gives(tmp_path: Path, mask: int, expected: int) -> None:
    old = os.umask(mask)
    try:
        workspace.write_text(tmp_path / "a.yaml", "x: 1\n", user_file=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.yaml").stat().st_mode) == expected
    assert (tmp_path / "a.yaml").read_text() == "x: 1\n"


def test_an_existing_user_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    workspace.write_text(target, "new\n", user_file=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text() == "new\n"


def test_a_user_file_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("keep\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(outside)
    with pytest.raises(workspace.UnsafePath):
        workspace.write_text(link, "changed\n", user_file=True)
    assert outside.read_text() == "keep\n"
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "outside.yaml"]
