"""Whole-or-nothing writes honour the umask and never write through a symlink (issue 23 §4, §5)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reconciler import safewrite


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path, mask: int, expected: int) -> None:
    old = os.umask(mask)
    try:
        safewrite.write_text(tmp_path / "a.yaml", "x: 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.yaml").stat().st_mode) == expected
    assert (tmp_path / "a.yaml").read_text() == "x: 1\n"


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    safewrite.write_text(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text() == "new\n"


def test_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("keep\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(outside)
    with pytest.raises(safewrite.UnsafeWriteTarget):
        safewrite.write_text(link, "changed\n")
    assert outside.read_text() == "keep\n"
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "outside.yaml"]
