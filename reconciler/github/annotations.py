"""Validation problems as GitHub Actions workflow commands, so they show inline on the pull request's diff.

Pure. ``::error file=F,line=L,col=C,title=T::message`` (``::warning`` for warnings), escaped as
the Actions runner expects: ``%``, CR and LF in the message; also ``:`` and ``,`` in properties.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.diagnostics import Diagnostic

ACTIONS_ENV = "GITHUB_ACTIONS"


def on_github_actions(env: Mapping[str, str]) -> bool:
    """Whether this process runs as a GitHub Actions step."""
    return env.get(ACTIONS_ENV, "").strip().lower() == "true"


def workflow_command(diag: Diagnostic, *, title: str = "comfyops") -> str:
    """The ``::error ...::`` (or ``::warning``) line for one diagnostic."""
    kind = "error" if diag.is_error else "warning"
    props: list[tuple[str, str]] = []
    if diag.location is not None and diag.location.path:
        props.append(("file", diag.location.path))
        if diag.location.line > 0:
            props.append(("line", str(diag.location.line)))
            if diag.location.column > 0:
                props.append(("col", str(diag.location.column)))
    props.append(("title", title))
    message = diag.message + (f" (hint: {diag.hint})" if diag.hint else "")
    if diag.field_path:
        message = f"{diag.field_path}: {message}"
    rendered = ",".join(f"{key}={_property(value)}" for key, value in props)
    return f"::{kind} {rendered}::{_data(message)}"


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")
