"""Purity is a property of a package (ARCHITECTURE §2, STYLE §0): every module of a pure package is checked.

The pure packages and top-level modules are found by glob, so a new module is covered without anyone
listing it; a new package or top-level module must be classified here (pure by default for top-level
modules, effectful only with a reason). Two checks:

- statically, with ``ast``: no pure module, nor any ``reconciler`` module it imports (transitively),
  reaches the network, the file system, a child process or the environment: by import (``httpx``,
  ``socket``, ``subprocess``, ``regopy``, ``shutil``...), by call (``open()``, ``Path.read_text``,
  ``os.walk``...) or by attribute (``os.environ``, ``os.getenv``, ``Path.cwd``), outside
  ``if TYPE_CHECKING:`` blocks;
- at run time, in a fresh interpreter, importing every pure module loads no HTTP library, no emulator
  and no effectful ``reconciler`` package.

The one sanctioned way a pure package reads its input files (the manifests, the workflow files they
name) is :mod:`reconciler.readfile` (bounded, regular files only) and the manifest folder walk in
:mod:`reconciler.manifest.files`; both are listed in :data:`INPUT_READERS` with the packages that may
use them. Control cases show that each kind of access is caught.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import reconciler

PACKAGE_ROOT = Path(reconciler.__file__).parent
REPO_ROOT = PACKAGE_ROOT.parent

PURE_PACKAGES: tuple[str, ...] = ("engine", "manifest", "workflow", "render")
EFFECTFUL_PACKAGES: dict[str, str] = {
    "cli": "click commands: parse options, print",
    "session": "use cases: call the clients, read and write files",
    "runcomfy": "the RunComfy HTTP client",
    "github": "the GitHub HTTP client",
    "emulator": "a Starlette app and its state folder",
    "policy": "Rego evaluated by regopy in a child process",
    "history": "the request history file",
    "smoke": "submits and polls requests",
    "resultcache": "validate's saved results: records a run's reads, replays its output, writes .comfyops/",
}
EFFECTFUL_TOP_LEVEL: dict[str, str] = {
    "reconciler.__main__": "runs the command line",
    "reconciler.entry": "the console script: runs the command line",
    "reconciler.interrupts": "signal handlers that write to stderr and exit",
    "reconciler.readfile": "reads the files users point us at (see INPUT_READERS)",
    "reconciler.workspace": "where .comfyops/ is (environment, file system), and safe writes into it",
}
"""Top-level modules that are not pure; every other top-level module is checked as pure."""

INPUT_READERS: dict[str, tuple[str, ...]] = {
    "reconciler.readfile": ("reconciler.manifest", "reconciler.workflow"),
    "reconciler.manifest.files": ("reconciler.manifest",),
    "reconciler.manifest.expectations": ("reconciler.manifest",),
}
"""The sanctioned read-only input readers, and the packages that may use them (loading manifests and the
workflow files and golden pictures they name is reading the input, not a side effect). ``expectations``
opens the golden pictures with Pillow (its error names the file), so it is listed whole."""

FORBIDDEN_IMPORTS: dict[str, tuple[str, ...]] = {
    "network": ("httpx", "respx", "starlette", "uvicorn", "socket", "ssl", "http.client", "urllib.request",
                "requests", "aiohttp"),
    "subprocess": ("subprocess", "multiprocessing", "concurrent.futures.process", "pty", "regopy"),
    "file": ("shutil", "tempfile", "glob", "fcntl", "os.open", "os.walk", "os.scandir", "os.listdir",
             "os.remove", "os.unlink", "os.rename", "os.replace", "os.mkdir", "os.makedirs"),
    "environment": ("os.environ", "os.getenv", "os.putenv", "os.unsetenv", "os.getcwd", "os.chdir"),
}
"""Modules (and ``from os import X`` names) a pure module may not import, by kind of access."""

FORBIDDEN_CALLS: dict[str, tuple[str, ...]] = {
    "file": ("open", "read_text", "read_bytes", "write_text", "write_bytes", "mkdir", "unlink", "rmdir",
             "touch", "iterdir", "glob", "rglob", "exists", "is_file", "is_dir", "stat", "lstat", "symlink_to",
             "chmod", "print", "input"),
}
"""Calls (a name, or a method of any object) that touch the file system or the terminal."""

FORBIDDEN_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "network": (),
    "subprocess": ("os.system", "os.popen", "os.fork", "os.kill", "os.execv", "os.execve", "os.execvp",
                   "os.spawnv", "os.posix_spawn"),
    "file": ("os.open", "os.write", "os.read", "os.walk", "os.scandir", "os.listdir", "os.stat", "os.lstat",
             "os.remove", "os.unlink", "os.rename", "os.replace", "os.mkdir", "os.makedirs", "os.symlink",
             "sys.stdin", "sys.stdout", "sys.stderr"),
    "environment": ("os.environ", "os.getenv", "os.putenv", "os.unsetenv", "os.getcwd", "os.chdir",
                    "Path.cwd", "Path.home", "os.path.expanduser", "os.path.expandvars"),
}
"""``module.attribute`` uses that reach outside the process's own values."""

RUNTIME_FORBIDDEN: tuple[str, ...] = (
    "httpx", "respx", "starlette", "uvicorn", "regopy",
    "reconciler.runcomfy.client", "reconciler.runcomfy.http", "reconciler.github.client",
    "reconciler.emulator", "reconciler.session", "reconciler.cli", "reconciler.policy.evaluate",
    "reconciler.smoke.runner", "reconciler.history.store",
)
"""What importing the pure modules must never load (checked in a fresh interpreter)."""


def _modules_of(package: str) -> list[str]:
    path = PACKAGE_ROOT / package
    return [f"reconciler.{package}", *sorted(
        f"reconciler.{package}.{m.name}" for m in pkgutil.walk_packages([str(path)]) if not m.ispkg
    )]


def _top_level_modules() -> list[str]:
    return sorted(f"reconciler.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE_ROOT)]) if not m.ispkg)


def pure_modules() -> tuple[str, ...]:
    """Every module of every pure package, and every top-level module not listed as effectful."""
    modules = [m for p in PURE_PACKAGES for m in _modules_of(p)]
    modules += [m for m in _top_level_modules() if m not in EFFECTFUL_TOP_LEVEL]
    return ("reconciler", *modules)


def source_of(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    return Path(spec.origin)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, full module name) of every runtime import statement in ``path``."""
    return [(line, name) for line, kind, name in _uses(path, module) if kind == "import"]


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _own_names(tree: ast.AST) -> set[str]:
    """Names bound to reconciler modules (``from reconciler import readfile``): calls through them are checked
    where they are defined, so ``readfile.read_text(...)`` is not a file access of the caller."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reconciler"):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("reconciler"))
    return names


def _uses(path: Path, module: str) -> list[tuple[int, str, str]]:
    """(line, kind, name): every runtime import, call and dotted attribute in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    own = _own_names(tree)
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, "import", alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            found.append((node.lineno, "import", base))
            found.extend((node.lineno, "import", f"{base}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            through_own = isinstance(func, ast.Attribute) and _dotted(func.value).split(".")[0] in own
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if not through_own and not (isinstance(func, ast.Name) and func.id in own):
                found.append((node.lineno, "call", name))
        elif isinstance(node, ast.Attribute):
            found.append((node.lineno, "attribute", _dotted(node)))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _matches(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


def offences(path: Path, module: str) -> list[str]:
    """``line: kind: name`` for every network, file, subprocess or environment access in ``path``."""
    found = []
    for line, kind, name in _uses(path, module):
        table = {"import": FORBIDDEN_IMPORTS, "call": FORBIDDEN_CALLS, "attribute": FORBIDDEN_ATTRIBUTES}[kind]
        for access, names in table.items():
            hit = name in names if kind == "call" else any(_matches(name, f) for f in names)
            if hit:
                found.append(f"{line}: {access}: {name}")
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _reader_allowed(reader: str, user: str) -> bool:
    return any(_matches(user, package) for package in INPUT_READERS.get(reader, ()))


def static_violations(roots: tuple[str, ...]) -> dict[str, list[str]]:
    """Accesses in ``roots`` and every reconciler module they import, as module -> 'line: kind: name'."""
    seen: set[str] = set()
    bad: dict[str, list[str]] = {}
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = source_of(module)
        found = [] if module in INPUT_READERS else offences(path, module)
        if found:
            bad[module] = found
        for line, name in imports_of(path, module):
            if not name.startswith("reconciler") or name in seen or not _is_module(name):
                continue
            if name in INPUT_READERS:
                if not _reader_allowed(name, module):
                    bad.setdefault(module, []).append(f"{line}: file: {name} (an input reader not for this package)")
                continue
            todo.append(name)
            parent = name.rpartition(".")[0]
            if parent.startswith("reconciler") and parent not in seen:
                todo.append(parent)
    return bad


_PROBE = """
import json, sys
for name in sys.argv[1:-1]:
    __import__(name)
forbidden = json.loads(sys.argv[-1])
found = sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden))
print(json.dumps(found))
"""


def imported_at_runtime(modules: tuple[str, ...]) -> list[str]:
    """The forbidden modules present in a fresh interpreter after importing ``modules``."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules, json.dumps(RUNTIME_FORBIDDEN)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found: list[str] = json.loads(result.stdout)
    return found


def test_every_package_and_top_level_module_is_classified() -> None:
    packages = {m.name for m in pkgutil.iter_modules([str(PACKAGE_ROOT)]) if m.ispkg}
    assert packages == set(PURE_PACKAGES) | set(EFFECTFUL_PACKAGES)
    assert set(EFFECTFUL_TOP_LEVEL) <= set(_top_level_modules())


def test_the_glob_finds_every_module_of_the_pure_packages() -> None:
    modules = pure_modules()
    for package in PURE_PACKAGES:
        on_disk = {p for p in (PACKAGE_ROOT / package).rglob("*.py")}
        assert on_disk == {source_of(m) for m in modules if _matches(m, f"reconciler.{package}")}
    assert {"reconciler.catalog", "reconciler.secrets", "reconciler.retry"} <= set(modules)


def test_pure_packages_say_so() -> None:
    for package in PURE_PACKAGES:
        docstring = ast.get_docstring(ast.parse((PACKAGE_ROOT / package / "__init__.py").read_text("utf-8"))) or ""
        assert "Pure" in docstring, package


def test_importing_the_pure_modules_loads_no_effectful_code() -> None:
    assert imported_at_runtime(pure_modules()) == []


def test_no_pure_module_reaches_the_network_files_processes_or_environment() -> None:
    assert static_violations(pure_modules()) == {}


def test_the_checks_catch_an_effectful_module() -> None:
    """Control: observe is the effectful shell around the client; both checks must flag it."""
    assert "httpx" in imported_at_runtime(("reconciler.session.observe",))
    assert "reconciler.runcomfy.client" in imported_at_runtime(("reconciler.session.observe",))
    violations = static_violations(("reconciler.session.observe",))
    assert any(v.endswith("network: httpx") for found in violations.values() for v in found)


@pytest.mark.parametrize(("source", "access"), [
    ("import socket\n", "network"),
    ("from urllib.request import urlopen\n", "network"),
    ("import subprocess\n", "subprocess"),
    ("import os\nos.system('true')\n", "subprocess"),
    ("open('x')\n", "file"),
    ("from pathlib import Path\nPath('x').write_text('y')\n", "file"),
    ("import os\nos.walk('.')\n", "file"),
    ("import os\nos.environ.get('HOME')\n", "environment"),
    ("from os import environ\n", "environment"),
    ("from os import getenv\n", "environment"),
    ("from pathlib import Path\nPath.cwd()\n", "environment"),
])
def test_each_kind_of_access_is_caught(tmp_path: Path, source: str, access: str) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(source, encoding="utf-8")
    assert any(f": {access}: " in v for v in offences(sample, "sample")), offences(sample, "sample")


def test_an_input_reader_is_refused_outside_its_packages() -> None:
    assert not _reader_allowed("reconciler.readfile", "reconciler.engine.planner")
    assert _reader_allowed("reconciler.readfile", "reconciler.manifest.load")


def test_type_checking_imports_are_not_runtime_imports(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\nelse:\n    import json\n"
        "def f():\n    import starlette\n",
        encoding="utf-8",
    )
    assert imports_of(source, "sample") == [(1, "typing"), (1, "typing.TYPE_CHECKING"), (5, "json"),
                                            (7, "starlette")]
