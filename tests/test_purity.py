"""The pure core imports no network code (STYLE A/C: pure core, effectful shell).

Two checks over the same module list:

- at run time, in a fresh interpreter (``python -c``), importing the pure modules leaves no HTTP
  library, no emulator and no effectful engine/client module in ``sys.modules``;
- statically, with ``ast``, neither those modules nor any ``reconciler`` module they import
  (transitively) has an import statement naming one, outside ``if TYPE_CHECKING:`` blocks.

A control case runs the same checks on ``reconciler.engine.observe`` (effectful by design) to show
that they can fail.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import reconciler
import reconciler.render

PURE_MODULES: tuple[str, ...] = (
    "reconciler.manifest.load",
    "reconciler.manifest.model",
    "reconciler.manifest.environments",
    "reconciler.manifest.printing",
    "reconciler.policy.report",
    "reconciler.engine.diff",
    "reconciler.engine.build",
    "reconciler.engine.plan",
    "reconciler.engine.live",
    "reconciler.engine.match",
    "reconciler.engine.drift",
    "reconciler.engine.status",
    "reconciler.engine.importer",
    "reconciler.engine.targets",
    "reconciler.engine.heal",
    "reconciler.engine.reconcile",
    "reconciler.workflow.graph",
    "reconciler.workflow.validate",
    "reconciler.workflow.object_info",
    "reconciler.workflow.file_lists",
    "reconciler.workflow.required",
    "reconciler.workflow.provenance",
    "reconciler.history.entry",
    "reconciler.history.render",
    "reconciler.runcomfy.proxy",
    "reconciler.github.fit",
    "reconciler.github.annotations",
    "reconciler.github.markdown",
    "reconciler.github.errors",
    "reconciler.render",
    *sorted(f"reconciler.render.{m.name}" for m in pkgutil.iter_modules(reconciler.render.__path__)),
)

FORBIDDEN: tuple[str, ...] = (
    "httpx",
    "respx",
    "starlette",
    "uvicorn",
    "reconciler.runcomfy.client",
    "reconciler.runcomfy.http",
    "reconciler.engine.apply",
    "reconciler.emulator",
)

PACKAGE_ROOT = Path(reconciler.__file__).parent
REPO_ROOT = PACKAGE_ROOT.parent

_PROBE = """
import json, sys
for name in sys.argv[1:-1]:
    __import__(name)
forbidden = json.loads(sys.argv[-1])
found = sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden))
print(json.dumps(found))
"""


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def imported_at_runtime(modules: tuple[str, ...]) -> list[str]:
    """The forbidden modules present in a fresh interpreter after importing ``modules``."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules, json.dumps(FORBIDDEN)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found: list[str] = json.loads(result.stdout)
    return found


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
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def static_violations(roots: tuple[str, ...]) -> dict[str, list[str]]:
    """Forbidden imports in ``roots`` and every reconciler module they import, as module -> 'line: name'."""
    seen: set[str] = set()
    todo = list(roots)
    bad: dict[str, list[str]] = {}
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for line, name in imports_of(source_of(module), module):
            if _forbidden(name):
                bad.setdefault(module, []).append(f"{line}: {name}")
            elif name.startswith("reconciler") and name not in seen and _is_module(name):
                todo.append(name)
    return bad


def test_the_module_list_is_complete() -> None:
    assert {"reconciler.render.json", "reconciler.render.markdown", "reconciler.render.text"} <= set(PURE_MODULES)
    for module in PURE_MODULES:
        assert source_of(module).is_file()


def test_importing_the_pure_core_loads_no_network_code() -> None:
    assert imported_at_runtime(PURE_MODULES) == []


def test_no_pure_module_or_its_reconciler_imports_names_network_code() -> None:
    assert static_violations(PURE_MODULES) == {}


def test_the_checks_catch_an_effectful_module() -> None:
    """Control: observe is the effectful shell around the client; both checks must flag it."""
    assert "httpx" in imported_at_runtime(("reconciler.engine.observe",))
    assert "reconciler.runcomfy.client" in imported_at_runtime(("reconciler.engine.observe",))
    violations = static_violations(("reconciler.engine.observe",))
    assert "reconciler.engine.observe" in violations
    assert any(v.endswith("reconciler.runcomfy.client") for v in violations["reconciler.engine.observe"])


def test_type_checking_imports_are_not_runtime_imports(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx\nelse:\n    import json\n"
        "def f():\n    import starlette\n",
        encoding="utf-8",
    )
    assert imports_of(source, "sample") == [(1, "typing"), (1, "typing.TYPE_CHECKING"), (5, "json"),
                                            (7, "starlette")]
