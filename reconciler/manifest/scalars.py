"""Strict scalar field types: an integer field takes an integer, a boolean field ``true`` or ``false``.

Pure. Pydantic's lax mode would read ``"1"``, ``1.0`` and ``true`` as 1, and YAML 1.1 habits
(``yes``, ``010``, ``1:30``) would slip through as something the user did not write. Each refusal
carries a hint that says what to write. A whole value that came from ``${VAR}`` (an
:class:`Interpolated` string) is converted by the same rules as YAML's own scalars, since the
environment only holds text. The JSON Schemas (``manifest.schema``) allow the ``${VAR}`` pattern in these fields, so
editors accept ``min_instances: ${MIN}``.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

VARIABLE_PATTERN = r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}$]*)?\}$"
"""A value that is exactly one ``${VAR}`` or ``${VAR:-default}`` reference."""

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_TRUE_WORDS = {"yes", "y", "on", "true"}
_FALSE_WORDS = {"no", "n", "off", "false"}


class Interpolated(str):
    """A string value produced by ``${VAR}`` substitution (so numeric fields may convert it)."""

    __slots__ = ()


def shown(value: Any, limit: int = 60) -> str:
    """A value as messages show it: ``repr`` with control characters escaped, cut when long."""
    if isinstance(value, Interpolated):
        value = str(value)
    text = "true" if value is True else "false" if value is False else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _refuse(expected: str, value: Any, hint: str = "") -> PydanticCustomError:
    return PydanticCustomError("strict_scalar", f"expected {expected}; got {shown(value)}", {"hint": hint})


def _from_variable(expected: str, value: Interpolated) -> PydanticCustomError:
    # echoed like any value: the loader masks it where the variable is a secret (messages.diagnostics_from)
    return PydanticCustomError(
        "strict_scalar", f"expected {expected}; got {shown(value)} from ${{VAR}}", {"hint": ""}
    )


def _int_hint(value: Any) -> str:
    if isinstance(value, bool):
        return f"write {int(value)}"
    if isinstance(value, float):
        return f"write {int(value)}" if value.is_integer() else "write a whole number"
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if text.lower() in _TRUE_WORDS | _FALSE_WORDS:
        return f"write {1 if text.lower() in _TRUE_WORDS else 0}"
    if _INT.fullmatch(text):
        return f"write {text} without quotes"
    if re.fullmatch(r"[-+]?0[0-9]+", text):
        return f"write {int(text)} without the leading zero (YAML 1.1 read 0{text.lstrip('+-0')} as octal)"
    if re.fullmatch(r"[0-9]+(:[0-5]?[0-9])+", text):
        total = 0
        for part in text.split(":"):
            total = total * 60 + int(part)
        return f"write the whole number, e.g. {total} for {text}"
    return ""


def strict_int(value: Any) -> Any:
    """An int, not a bool, float or string (except a whole ``${VAR}`` value that is a decimal integer)."""
    if isinstance(value, Interpolated):
        if _INT.fullmatch(value.strip()):
            return int(value)
        raise _from_variable("a whole number", value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value is None:
        return value
    raise _refuse("a whole number", value, _int_hint(value))


def strict_bool(value: Any) -> Any:
    """``true`` or ``false``, not ``"off"``, ``yes`` or 1 (except a whole ``${VAR}`` value of true/false)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Interpolated):
        if value.strip() in ("true", "false"):
            return value.strip() == "true"
        raise _from_variable("true or false", value)
    hint = ""
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
        hint = f"write {'true' if value.strip().lower() in _TRUE_WORDS else 'false'}"
    elif isinstance(value, int) and value in (0, 1):
        hint = f"write {'true' if value else 'false'}"
    raise _refuse("true or false", value, hint)


def strict_number(value: Any) -> Any:
    """A finite int or float, not a bool or string (except a whole ``${VAR}`` value that is a number)."""
    if isinstance(value, Interpolated):
        if _FLOAT.fullmatch(value.strip()):
            return float(value)
        raise _from_variable("a number", value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        if value is None:
            return value
        hint = ""
        if isinstance(value, str) and _FLOAT.fullmatch(value):
            hint = f"write {value.strip()} without quotes"
        elif isinstance(value, str) and value.strip().lower().lstrip("+-") in (".inf", ".nan", "inf", "nan"):
            hint = "JSON has no infinity or NaN; write a finite number"
        raise _refuse("a number", value, hint)
    if isinstance(value, float) and not math.isfinite(value):  # ints are finite (and may not fit a float)
        raise _refuse("a finite number", value)
    return value


StrictInt = Annotated[int, BeforeValidator(strict_int)]
StrictBool = Annotated[bool, BeforeValidator(strict_bool)]
StrictNumber = Annotated[float, BeforeValidator(strict_number)]
