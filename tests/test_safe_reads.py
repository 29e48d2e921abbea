"""Every file ComfyOps reads is read through :mod:`reconciler.readfile` (ARCHITECTURE §8: bounded reads).

A convention test, like ``test_safe_writes``: it reads every module of ``reconciler/`` with ``ast`` and
refuses a raw read anywhere but ``readfile.py`` and ``workspace.py``: ``Path.read_text``/``read_bytes``
(any such call not made on ``readfile``, ``workspace`` or the manifest ``source`` reader, which calls
``readfile``), ``open()`` for reading, and ``json.load``. A raw read of a FIFO blocks forever and a
link to ``/dev/zero`` fills memory; ``readfile`` opens without blocking, takes regular files only, and
reads up to a limit. So a new read site cannot forget it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reconciler
from support.ast_names import dotted

PACKAGE = Path(reconciler.__file__).parent
SAFE_READERS = {PACKAGE / "readfile.py", PACKAGE / "workspace.py"}
SAFE_RECEIVERS = {"readfile", "workspace", "source"}
NOT_FILES = {
    ("smoke/thumbnails.py", "av.open"): "decodes a downloaded video from an in-memory BytesIO",
    ("smoke/compare.py", "av.open"): "decodes a video from an in-memory BytesIO",
    ("resultcache/entries.py", "os.fdopen"): "reads a descriptor it opened itself without blocking or following "
                                             "a link, after checking it is a regular file under the size limit",
    ("session/gallery.py", "os.fdopen"): "reads a descriptor it opened itself without blocking or following a "
                                         "link, after checking it is a regular file under the size limit",
}
OPENERS = {"open", "io.open", "codecs.open", "gzip.open", "av.open", "os.fdopen"}


def raw_reads(relative: str, text: str) -> list[str]:
    """Each raw read in the module's source ``text``, as ``line: call``."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        if isinstance(node.func, ast.Attribute) and node.func.attr in {"read_text", "read_bytes"}:
            receiver = dotted(node.func.value)
            if receiver not in SAFE_RECEIVERS:
                found.append(f"{node.lineno}: {receiver or '...'}.{node.func.attr}")
        elif name == "json.load" or (name in OPENERS and (relative, name) not in NOT_FILES and not _writes(node)):
            found.append(f"{node.lineno}: {name}")
    return found


def _writes(call: ast.Call) -> bool:
    modes = [k.value for k in call.keywords if k.arg == "mode"] or list(call.args[1:2])
    return any(isinstance(m, ast.Constant) and isinstance(m.value, str) and set(m.value) & set("wax+") for m in modes)


def test_every_read_goes_through_readfile() -> None:
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in SAFE_READERS:
            continue
        relative = path.relative_to(PACKAGE).as_posix()
        offences += [f"reconciler/{relative}:{found}" for found in raw_reads(relative, path.read_text("utf-8"))]
    assert offences == [], "read these through reconciler.readfile (bounded, regular files only):\n" + "\n".join(
        offences)


@pytest.mark.parametrize("source", [
    "Path('x').read_text()",
    "plan_file.read_bytes()",
    "open(path)",
    "open(path, 'rb')",
    "json.load(handle)",
])
def test_a_raw_read_is_caught(source: str) -> None:
    assert raw_reads("cli/new.py", source) != []


@pytest.mark.parametrize("source", [
    "readfile.read_text(path, limit=1)",
    "source.read_text(file, shown)",
    "open(path, 'w')",
    "workspace.read_text(path)",
])
def test_a_safe_read_or_a_write_is_not_a_read(source: str) -> None:
    assert raw_reads("cli/new.py", source) == []
