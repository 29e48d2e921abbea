"""Every file ComfyOps writes is written through :mod:`reconciler.workspace` (ARCHITECTURE §8, issue 19 §3).

A convention test, like ``test_purity``: it reads every module of ``reconciler/`` with ``ast`` and refuses a
raw write anywhere but ``workspace.py``: ``Path.write_text``/``write_bytes`` (any ``.write_text(`` call
not made on ``workspace``), ``open()`` with a mode that writes, ``os.open`` with write flags,
``os.replace``/``os.rename``, ``tempfile.mkstemp``/``NamedTemporaryFile``, ``shutil`` copies and moves,
and ``os.fdopen`` for writing. So a new write site cannot forget the link checks. The few writes that
are not files on disk are listed with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reconciler
from support.ast_names import dotted

PACKAGE = Path(reconciler.__file__).parent
SAFE_WRITER = PACKAGE / "workspace.py"
NOT_FILES = {
    ("policy/worker.py", "os.fdopen"): "writes the answer to the pipe its parent gave it, not a file",
    ("emulator/picture.py", "av.open"): "encodes a video into an in-memory BytesIO",
}
RAW_CALLS = {"os.replace", "os.rename", "os.renames", "tempfile.mkstemp", "tempfile.NamedTemporaryFile",
             "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "shutil.copytree", "os.mkfifo"}
SAFE_CALLERS = ("workspace.",)
"""Writes through this are safe (it is the safe writer)."""
WRITE_METHODS = {"write_text", "write_bytes", "touch", "symlink_to", "hardlink_to"}


def _writes(call: ast.Call, position: int) -> bool:
    """Whether an ``open``-like call's mode (the ``mode`` keyword, else the argument at ``position``) writes."""
    modes = [k.value for k in call.keywords if k.arg == "mode"] or list(call.args[position : position + 1])
    return any(isinstance(m, ast.Constant) and isinstance(m.value, str) and set(m.value) & set("wax+") for m in modes)


FUNCTIONS_OPENING = {"open", "io.open", "os.fdopen", "gzip.open", "codecs.open", "av.open"}
"""Functions taking the path (or descriptor) first and the mode second; any other ``x.open`` is a method
(``Path.open(mode)``) taking the mode first."""


def _is_raw_write(call: ast.Call) -> bool:
    name = dotted(call.func)
    last = name.rsplit(".", 1)[-1]
    if name == "os.open":
        return any(flag in ast.unparse(call) for flag in ("O_WRONLY", "O_RDWR", "O_CREAT"))
    if last in ("open", "fdopen"):
        return _writes(call, int(name in FUNCTIONS_OPENING))
    return name in RAW_CALLS or (last in WRITE_METHODS and not name.startswith(SAFE_CALLERS))


def raw_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for every raw file write in ``source``."""
    return [(node.lineno, dotted(node.func)) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and _is_raw_write(node)]


def test_files_are_written_only_through_the_workspace() -> None:
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == SAFE_WRITER:
            continue
        relative = path.relative_to(PACKAGE).as_posix()
        for line, what in raw_writes(path.read_text(encoding="utf-8")):
            if (relative, what) not in NOT_FILES:
                offences.append(f"reconciler/{relative}:{line}: {what} (write through reconciler.workspace)")
    assert offences == []


@pytest.mark.parametrize("source", [
    "from pathlib import Path\nPath('x').write_text('y')\n",
    "p.write_bytes(b'')\n",
    "open('x', 'w')\n",
    "open('x', mode='a', encoding='utf-8')\n",
    "import os\nos.open('x', os.O_WRONLY | os.O_CREAT)\n",
    "import os\nos.replace('a', 'b')\n",
    "import tempfile\ntempfile.mkstemp()\n",
    "import os\nos.fdopen(3, 'w')\n",
    "path.open('ab')\n",
])
def test_each_raw_write_is_caught(source: str) -> None:
    assert raw_writes(source) != []


@pytest.mark.parametrize("source", [
    "open('x')\n", "open('x', 'rb')\n", "workspace.write_text(p, 'x')\n", "import os\nos.open('x', os.O_RDONLY)\n",
])
def test_reads_and_safe_writes_are_not_offences(source: str) -> None:
    assert raw_writes(source) == []
