"""``${VAR}``, ``${VAR:-default}`` and ``${secret:VAR}`` in manifest string values.

Pure: the environment is passed in as a mapping. ``$${`` writes a literal ``${``. A variable that
is unset and has no default is an error at the value's position.

Only secrets are masked. A value is sensitive when the variable it came from is: its name looks like
a credential (:data:`CREDENTIAL_WORDS`, matched case-insensitively anywhere in the name, the
convention Airflow and others use), it is written ``${secret:VAR}``, it is listed in
``Settings.sensitive_variables``, or the value sits under ``spec.smoke.extra_data`` (always
sensitive). A sensitive value's path is recorded so that plans, PR comments and logs mask it, and
the values taken from the environment are collected so that any output can be scrubbed of them.
Any other interpolated value is an ordinary value, shown as written.

Each variable's value is also recorded as a digest (never the value) so that a saved plan can say
which variable changed since it was made.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.diagnostics import Diagnostic
from reconciler.manifest.scalars import Interpolated, shown
from reconciler.manifest.source import Document, PathKey, dotted

_PATTERN = re.compile(r"\$\$\{|\$\{(secret:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?")
MIN_SCRUB_LENGTH = 4
"""Environment values shorter than this are masked by field, but not scrubbed from free text."""

CREDENTIAL_WORDS = (
    "SECRET",
    "TOKEN",
    "KEY",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "CERT",
    "SIGNATURE",
)
"""A variable whose name contains one of these (any case) holds a secret."""

ALWAYS_SENSITIVE: tuple[PathKey, ...] = (("spec", "smoke", "extra_data"),)
"""Paths under which every interpolated value is sensitive (request extra_data carries API keys)."""


def is_credential_name(name: str) -> bool:
    """Whether a variable's name looks like it holds a credential (``COMFY_ORG_API_KEY``, ``DB_PASSWORD``)."""
    upper = name.upper()
    return any(word in upper for word in CREDENTIAL_WORDS)


def variable_digest(name: str, value: str | None) -> str:
    """A short digest of one variable's value, to tell that it changed without recording it."""
    text = f"{name}\0{'' if value is None else value}\0{value is None}"
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Interpolation:
    """The document with variables substituted, what was sensitive, and what could not be resolved."""

    data: Any
    sensitive_paths: set[PathKey] = field(default_factory=set)
    secret_values: set[str] = field(default_factory=set)
    problems: list[Diagnostic] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    """Name -> digest of the value used (``variable_digest``), for every variable referenced."""


@dataclass(frozen=True)
class _Context:
    doc: Document
    env: Mapping[str, str]
    sensitive_names: Collection[str]
    out: Interpolation


def interpolate(doc: Document, env: Mapping[str, str], *, sensitive_names: Collection[str] = ()) -> Interpolation:
    """Substitute ``${VAR}`` references in every string of ``doc``; ``sensitive_names`` are always secret."""
    result = Interpolation(data=doc.data)
    if doc.has_dollar:  # the parser noted whether any string holds a '$': without one there is nothing to do
        result.data = _walk(doc.data, (), _Context(doc, env, frozenset(sensitive_names), result))
    return result


def _walk(value: Any, path: PathKey, ctx: _Context) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, (*path, k), ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), ctx) for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _substitute(value, path, ctx)
    return value


def _substitute(text: str, path: PathKey, ctx: _Context) -> str:
    sensitive = touched = False
    out, env = ctx.out, ctx.env
    always = any(path[: len(prefix)] == prefix for prefix in ALWAYS_SENSITIVE)

    def replace(match: re.Match[str]) -> str:
        nonlocal sensitive, touched
        whole = match.group(0)
        if whole == "$${":
            return "${"
        marker, name, default, bad = match.group(1), match.group(2), match.group(3), match.group(4)
        if name is None:
            out.problems.append(
                Diagnostic(
                    f"malformed variable reference {whole!r}",
                    ctx.doc.locate(path),
                    dotted(path),
                    "write ${NAME}, ${NAME:-default} or ${secret:NAME}; NAME is letters, digits and _; "
                    "write $${ for a literal ${"
                    if bad is not None
                    else "",
                )
            )
            return whole
        if default is not None and "${" in default:
            out.problems.append(
                Diagnostic(
                    f"nested variable reference in {shown(text)} is not supported",
                    ctx.doc.locate(path),
                    dotted(path),
                    "the default after :- is literal text; set the variable, or write a literal default",
                )
            )
            return whole
        touched = True
        secret = bool(marker) or always or is_credential_name(name) or name in ctx.sensitive_names
        sensitive = sensitive or secret
        value = env.get(name)
        out.variables[name] = variable_digest(name, value if value is not None else default)
        if value is not None:
            if secret and len(value) >= MIN_SCRUB_LENGTH:
                out.secret_values.add(value)
            return value
        if default is not None:
            return default
        out.problems.append(
            Diagnostic(
                f"environment variable {name} is not set",
                ctx.doc.locate(path),
                dotted(path),
                f"export {name}=..., or give a default: ${{{name}:-value}}",
            )
        )
        return ""

    result = _PATTERN.sub(replace, text)
    if sensitive:
        out.sensitive_paths.add(path)
    if touched:
        return Interpolated(result)  # numeric and boolean fields may convert it (manifest.scalars)
    return result
