"""``${VAR}`` and ``${VAR:-default}`` in manifest string values.

Pure: the environment is passed in as a mapping. ``$${`` writes a literal ``${``. A variable that
is unset and has no default is an error at the value's position. Every interpolated value is
sensitive: its path is recorded so that plans, PR comments and logs mask it, and the values taken
from the environment are collected so that any output can be scrubbed of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.diagnostics import Diagnostic
from reconciler.manifest.scalars import Interpolated, shown
from reconciler.manifest.source import Document, PathKey, dotted

_PATTERN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?")
MIN_SCRUB_LENGTH = 4
"""Environment values shorter than this are masked by field, but not scrubbed from free text."""


@dataclass
class Interpolation:
    """The document with variables substituted, what was sensitive, and what could not be resolved."""

    data: Any
    sensitive_paths: set[PathKey] = field(default_factory=set)
    secret_values: set[str] = field(default_factory=set)
    problems: list[Diagnostic] = field(default_factory=list)


def interpolate(doc: Document, env: Mapping[str, str]) -> Interpolation:
    """Substitute ``${VAR}`` references in every string of ``doc``."""
    result = Interpolation(data=None)
    result.data = _walk(doc.data, (), doc, env, result)
    return result


def _walk(value: Any, path: PathKey, doc: Document, env: Mapping[str, str], out: Interpolation) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, (*path, k), doc, env, out) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), doc, env, out) for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _substitute(value, path, doc, env, out)
    return value


def _substitute(text: str, path: PathKey, doc: Document, env: Mapping[str, str], out: Interpolation) -> str:
    touched = False

    def replace(match: re.Match[str]) -> str:
        nonlocal touched
        whole = match.group(0)
        if whole == "$${":
            return "${"
        name, default, bad = match.group(1), match.group(2), match.group(3)
        if name is None:
            out.problems.append(
                Diagnostic(
                    f"malformed variable reference {whole!r}",
                    doc.locate(path),
                    dotted(path),
                    "write ${NAME} or ${NAME:-default}; NAME is letters, digits and _; write $${ for a literal ${"
                    if bad is not None
                    else "",
                )
            )
            return whole
        if default is not None and "${" in default:
            out.problems.append(
                Diagnostic(
                    f"nested variable reference in {shown(text)} is not supported",
                    doc.locate(path),
                    dotted(path),
                    "the default after :- is literal text; set the variable, or write a literal default",
                )
            )
            return whole
        touched = True
        if name in env:
            if len(env[name]) >= MIN_SCRUB_LENGTH:
                out.secret_values.add(env[name])
            return env[name]
        if default is not None:
            return default
        out.problems.append(
            Diagnostic(
                f"environment variable {name} is not set",
                doc.locate(path),
                dotted(path),
                f"export {name}=..., or give a default: ${{{name}:-value}}",
            )
        )
        return ""

    result = _PATTERN.sub(replace, text)
    if touched:
        out.sensitive_paths.add(path)
        return Interpolated(result)  # numeric and boolean fields may convert it (manifest.scalars)
    return result
