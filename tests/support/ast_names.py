"""What a call in source code names, for the convention tests that read ``reconciler/`` with ``ast``."""

from __future__ import annotations

import ast


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a name or attribute chain; ``?`` stands for a part that is not a name (a call, a subscript)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return "?"
