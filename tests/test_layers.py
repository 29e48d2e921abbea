"""Imports never climb up (ARCHITECTURE §2): cli -> session -> render/engine/smoke -> manifest/workflow/runcomfy/
github -> top-level modules.

A convention test, like ``test_purity``: every module of ``reconciler/`` is read with ``ast`` and each of its
``reconciler`` imports (at module level or inside a function; ``if TYPE_CHECKING:`` blocks are not imports at
run time) must name a module of its own layer or a lower one. A new package must be given a layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler

PACKAGE = Path(reconciler.__file__).parent

LAYERS: dict[str, int] = {
    "entry": 5, "__main__": 5,
    "cli": 4, "emulator": 4, "resultcache": 4,
    "session": 3,
    "render": 2, "engine": 2, "smoke": 2,
    "manifest": 1, "workflow": 1, "runcomfy": 1, "github": 1, "policy": 1, "history": 1,
}
"""Layer of each package (and of the two entry points, above the command line); top-level modules are 0.
The emulator is imported only by the command line and tests, so it stands beside ``cli``; so does the
result cache, which the entry point wraps a whole command line in (validate's saved results)."""

KNOWN_CLIMBS: dict[tuple[str, str], str] = {
    ("reconciler.diagnostics", "reconciler.render.safe"):
        "a problem line is sanitised when formatted, by the one terminal sanitiser (render/safe.py), looked up "
        "lazily; moving the sanitiser below render is left to a later change",
}


def layer(module: str) -> int:
    """The layer of ``reconciler.X[.Y]``: X's, when X is a package or an entry point, else 0 (top-level)."""
    parts = module.split(".")
    return LAYERS.get(parts[1], 0) if len(parts) > 1 else 0


def _module_name(path: Path) -> str:
    dotted = path.relative_to(PACKAGE.parent).with_suffix("").as_posix().replace("/", ".")
    return dotted.removesuffix(".__init__")


def upward_imports(module: str, source: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import in ``source`` (of ``module``) that names a higher layer."""
    tree = ast.parse(source)
    type_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(
        node.test) for child in node.body for n in ast.walk(child)}
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reconciler"):
            names = [node.module] if node.module != "reconciler" else [f"reconciler.{a.name}" for a in node.names]
            names += [f"{node.module}.{a.name}" for a in node.names if node.module != "reconciler"]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("reconciler")]
        else:
            continue
        climbed = sorted({n for n in names if layer(n) > layer(module)}, key=len)
        if climbed:
            found.append((node.lineno, climbed[-1]))
    return found


def test_every_package_has_a_layer() -> None:
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert packages - set(LAYERS) == set()


def test_no_import_climbs_up() -> None:
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        for line, imported in upward_imports(module, path.read_text(encoding="utf-8")):
            if (module, imported) not in KNOWN_CLIMBS:
                offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {module} imports {imported} (a higher "
                                "layer)")
    assert offences == []


def test_the_known_climbs_are_still_there() -> None:
    """An exception that no longer happens is removed from the list (the list never grows stale)."""
    for module, imported in KNOWN_CLIMBS:
        path = PACKAGE.parent / (module.replace(".", "/") + ".py")
        assert (module, imported) in {(module, i) for _, i in upward_imports(module, path.read_text("utf-8"))}


def test_a_climb_is_caught() -> None:
    assert upward_imports("reconciler.session.x", "from reconciler.emulator.embedded import EmbeddedEmulator\n")
    assert upward_imports("reconciler.engine.x", "def f():\n    from reconciler.cli import output\n")
    assert upward_imports("reconciler.catalog", "from reconciler import session\n")
    assert not upward_imports("reconciler.cli.x", "from reconciler.session import apply\n")
    type_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from reconciler.cli import x\n"
    assert not upward_imports("reconciler.session.x", type_only)


def test_use_cases_never_import_click() -> None:
    """session/ returns reports and takes values: option parsing and usage errors are the command line's."""
    offenders = []
    for path in sorted((PACKAGE / "session").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}:{node.lineno}" for n in names if n == "click" or n.startswith("click.")]
    assert offenders == []
