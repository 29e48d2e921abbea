"""The Rego evaluation worker: a child process that loads modules into regopy and answers queries.

Run as ``python -m reconciler.policy.worker``; a JSON request on stdin, a JSON answer on stdout.
It runs in its own process because rego-cpp, a C++ library, writes its error reports straight to
file descriptor 1 and can crash the interpreter on some inputs; here its reports are sent to stderr,
where the parent reads them for ``file:line`` positions, and a crash costs a child, not the command.
Imports nothing from ``reconciler`` so that it starts fast.

Request: ``{"modules": [[name, source], ...], "input": {...} | null, "queries": ["data.main.deny", ...]}``.
Answer: ``{"module_errors": [[name, text], ...], "results": [{"query", "ok", "value" | "text"}, ...]}``;
``value`` is the query's first expression, ``"undefined"`` when it has none.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def main() -> None:
    """Answer one request from stdin on the original stdout; rego-cpp's own output goes to stderr.

    regopy is imported before the request is read: a worker started ahead of its request (``rego.prestart``)
    loads it meanwhile."""
    import regopy  # noqa: F401

    answer_fd = os.dup(1)
    os.dup2(2, 1)
    request = json.loads(sys.stdin.read())
    answer = serve(request)
    with os.fdopen(answer_fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(answer))


def serve(request: dict[str, Any]) -> dict[str, Any]:
    """Load the request's modules and input, run its queries, and say what each gave."""
    import regopy
    from regopy import rego_shared

    interpreter = regopy.Interpreter()
    interpreter.log_level = regopy.LogLevel.ERROR
    module_errors: list[list[str]] = []
    for name, source in request["modules"]:
        try:
            interpreter.add_module(name, source)
        except regopy.RegoError as exc:
            module_errors.append([name, str(exc)])
    if module_errors:
        return {"module_errors": module_errors, "results": []}
    if request.get("input") is not None:
        interpreter.set_input_term(json.dumps(request["input"]))
    results: list[dict[str, Any]] = []
    for query in request["queries"]:
        sys.stderr.write(f"\n@@query {query}\n")
        sys.stderr.flush()
        output = rego_shared.rego_query(interpreter._impl, query)
        try:
            if not rego_shared.rego_output_ok(output):
                results.append({"query": query, "ok": False, "error": rego_shared.rego_get_error(interpreter._impl)})
                continue
            text = rego_shared.rego_output_string(output)
        finally:
            rego_shared.rego_free_output(output)
        results.append({"query": query, "ok": True, **_value(text)})
    return {"module_errors": [], "results": results}


def _value(text: str) -> dict[str, Any]:
    if text.strip() == "undefined":
        return {"value": "undefined"}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"text": text}  # rego-cpp reports some errors (an unknown function) as an 'ok' S-expression
    if isinstance(parsed, list):
        parsed = parsed[0] if parsed else {}
    expressions = parsed.get("expressions") if isinstance(parsed, dict) else None
    if not expressions:
        return {"value": "undefined"}
    return {"value": expressions[0]}


if __name__ == "__main__":
    main()
