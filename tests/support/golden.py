"""The one golden-file check: compare rendered output with a file; ``UPDATE_GOLDENS=1`` rewrites it instead."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest


def updating() -> bool:
    """Whether this run rewrites golden files (``UPDATE_GOLDENS=1``) instead of comparing with them."""
    return os.environ.get("UPDATE_GOLDENS") == "1"


def assert_golden(path: Path, actual: str) -> None:
    """``actual`` must equal the file at ``path`` byte for byte; the failure shows a unified diff."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
        return
    assert path.is_file(), f"missing golden {path}; run with UPDATE_GOLDENS=1 to create it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True), str(path), "actual"
        )
        pytest.fail(f"{path} differs from its golden file (UPDATE_GOLDENS=1 rewrites it; review the diff):\n"
                    + "".join(diff))
