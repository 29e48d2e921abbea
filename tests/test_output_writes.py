"""Every line a command prints goes through its one output object, :class:`reconciler.cli.output.Output`.

A convention test, like ``test_safe_writes``: it reads every module of ``reconciler/cli/`` and
``reconciler/session/`` with ``ast`` and refuses a write to the terminal anywhere but ``cli/output.py``:
``sys.stdout``/``sys.stderr`` (read or written), ``print``, click's ``echo``/``secho``/``prompt``/``confirm``
and its raw streams, a traceback or a click exception printed without ``file=`` (both default to stderr),
a logging ``StreamHandler`` or ``basicConfig`` on the default stream, and ``os.write`` to descriptors 1
and 2. So a new progress display, note or prompt cannot forget the masking and sanitising the output
object does (issue 18 §2: the view owns every line a command prints).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reconciler
from support.ast_names import dotted

PACKAGE = Path(reconciler.__file__).parent
CHECKED = ("cli", "session")
OUTPUT = PACKAGE / "cli" / "output.py"

STREAMS = {"sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__"}
PRINTING_CALLS = {
    "print", "click.echo", "click.secho", "click.prompt", "click.confirm", "click.echo_via_pager", "click.pause",
    "click.get_text_stream", "click.get_binary_stream", "logging.basicConfig", "pprint.pprint", "pprint.pp",
}
NEEDS_FILE = {"traceback.print_exc", "traceback.print_exception", "traceback.print_stack", "traceback.print_tb",
              "show", "logging.StreamHandler"}
"""Calls that print to stderr unless given somewhere else to write (``file=``, or a stream argument)."""
FROM_IMPORTS = {"sys": {"stdout", "stderr", "__stdout__", "__stderr__"},
                "click": {"echo", "secho", "prompt", "confirm", "echo_via_pager", "get_text_stream"},
                "builtins": {"print"}}


def _offence(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and dotted(node) in STREAMS:
        return dotted(node)
    if isinstance(node, ast.ImportFrom) and node.module in FROM_IMPORTS:
        names = {alias.name for alias in node.names} & FROM_IMPORTS[node.module]
        return f"from {node.module} import {', '.join(sorted(names))}" if names else None
    if not isinstance(node, ast.Call):
        return None
    name = dotted(node.func)
    if name in PRINTING_CALLS:
        return f"{name}()"
    last = name.rsplit(".", 1)[-1]
    if (name in NEEDS_FILE or (last == "show" and "show" in NEEDS_FILE)) and not node.args and not any(
        k.arg in ("file", "stream") for k in node.keywords
    ):
        return f"{name}() without file="
    if name == "os.write" and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in (1, 2):
        return "os.write() to stdout/stderr"
    return None


def terminal_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for every write to stdout or stderr in ``source`` that bypasses the output object."""
    found = []
    for node in ast.walk(ast.parse(source)):
        what = _offence(node)
        if what is not None:
            found.append((getattr(node, "lineno", 0), what))
    return sorted(found)


def test_commands_and_use_cases_print_only_through_the_output_object() -> None:
    offences = []
    for package in CHECKED:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            if path == OUTPUT:
                continue
            for line, what in terminal_writes(path.read_text(encoding="utf-8")):
                offences.append(f"reconciler/{path.relative_to(PACKAGE).as_posix()}:{line}: {what} "
                                "(print through the command's cli.output.Output)")
    assert offences == []


def test_the_output_object_is_where_the_streams_are_written() -> None:
    assert terminal_writes(OUTPUT.read_text(encoding="utf-8")) != []  # the exemption is for a real writer


@pytest.mark.parametrize("source", [
    "import sys\nsys.stderr.write('x')\n",
    "import sys\nprogress = make_progress(sys.stderr, names)\n",
    "print('x')\n",
    "import click\nclick.echo('x', err=True)\n",
    "import click\nclick.secho('x', fg='red')\n",
    "import click\nanswer = click.prompt('yes?')\n",
    "from click import echo\n",
    "from sys import stderr\n",
    "import traceback\ntraceback.print_exc()\n",
    "exc.show()\n",
    "import logging\nlogging.StreamHandler()\n",
    "import os\nos.write(2, b'x')\n",
])
def test_each_terminal_write_is_caught(source: str) -> None:
    assert terminal_writes(source) != []


@pytest.mark.parametrize("source", [
    "output.echo('x', err=True)\n",
    "app.out.note('x')\n",
    "app.out.progress(names)\n",
    "import traceback\ntraceback.print_exc(file=out.stderr)\n",
    "exc.show(file=out.stderr)\n",
    "import logging\nlogging.StreamHandler(CURRENT_STDERR)\n",
    "handle.write('x')\n",
    "import sys\nsys.stdin.read()\n",
])
def test_writes_through_the_output_object_are_not_offences(source: str) -> None:
    assert terminal_writes(source) == []
