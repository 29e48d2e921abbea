"""Running Rego queries through the worker process, and turning rego-cpp's errors into located problems.

Effectful: starts ``python -m reconciler.policy.worker`` once per evaluation (about 50 ms), with a
timeout so a policy can never hang a command. A caller that knows policies are coming (``validate``, once
the manifests name some) may :func:`prestart` the worker: its interpreter and regopy then load while the
caller still resolves the manifests, and the next evaluation hands it its request.

rego-cpp reports a syntax error as an S-expression naming the file and a byte offset, a compile error as
a ``-- file:line:col`` block on its log, and an evaluation error not at all (only "not ok"); each becomes
a Diagnostic with the best position known.
"""

from __future__ import annotations

import atexit
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from reconciler.diagnostics import Diagnostic, Location
from reconciler.policy.sources import Module

TIMEOUT_SECONDS = 120
UNDEFINED = "undefined"
_WITH_INPUT = "with input as"
_WITH_HINT = (
    "rego-cpp (the embedded engine) cannot evaluate `with input as <value>` in modules that call built-in "
    "functions; override single fields instead, e.g. `with input.changes as [...] with input.environment as \"prod\"`"
)

_MALFORMED_HINT = (
    'rego-cpp quotes a string built by another built-in when it is formatted with sprintf("%s"); '
    'build such messages with concat("", [...]) instead'
)


@dataclass(frozen=True)
class Answer:
    """What one query gave: its value (``UNDEFINED`` when it has none), or the problem that stopped it."""

    query: str
    value: Any = UNDEFINED
    problem: Diagnostic | None = None


WORKER = [sys.executable, "-m", "reconciler.policy.worker"]
_started: list[subprocess.Popen[str]] = []
_exit_hook: list[bool] = []


def prestart() -> None:
    """Start the worker now, for the next :func:`run`; one left unused is stopped when the process exits."""
    if not _started:
        if not _exit_hook:
            atexit.register(_stop_unused)
            _exit_hook.append(True)
        _started.append(_spawn())


def _spawn() -> subprocess.Popen[str]:
    return subprocess.Popen(WORKER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _stop_unused() -> None:
    while _started:
        process = _started.pop()
        process.kill()
        process.communicate()


def _answer_of(request: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """Send ``request`` to a worker (the prestarted one, else a new one) and wait for its answer."""
    process = _started.pop() if _started else _spawn()
    try:
        out, err = process.communicate(json.dumps(request), timeout=TIMEOUT_SECONDS)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def run(modules: list[Module], input_document: Any, queries: list[str]) -> tuple[list[Answer], list[Diagnostic]]:
    """Evaluate ``queries`` over ``modules`` and ``input_document``; problems that stop every query come second."""
    request = {"modules": [[m.name, m.source] for m in modules], "input": input_document, "queries": queries}
    try:
        done = _answer_of(request)
    except subprocess.TimeoutExpired:
        where = Location(modules[0].name) if modules else None
        return [], [Diagnostic(f"policy evaluation did not finish in {TIMEOUT_SECONDS} s", where, "",
                               "look for a rule that recurses or iterates over a very large collection")]
    try:
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return [], [_crash(done, modules)]
    by_name = {m.name: m for m in modules}
    if answer["module_errors"]:
        problems = [p for name, text in answer["module_errors"] for p in _syntax_problems(name, text, by_name)]
        return [], problems
    logs = _logs_by_query(done.stderr)
    answers = [_answer(result, logs.get(result["query"], ""), modules) for result in answer["results"]]
    return answers, []


def _crash(done: subprocess.CompletedProcess[str], modules: list[Module]) -> Diagnostic:
    where = Location(modules[0].name) if modules else None
    missing = "No module named 'regopy'" in done.stderr
    if missing:
        return Diagnostic("the Rego engine (regopy) is not installed", where, "", "pip install regopy")
    signal = f" (signal {-done.returncode})" if done.returncode < 0 else ""
    hint = _WITH_HINT if any(_WITH_INPUT in m.source for m in modules) else "simplify the last policy you changed"
    last = done.stderr.strip().splitlines()[-1:] or [""]
    return Diagnostic(f"the embedded Rego engine crashed{signal} {last[0]}".rstrip(), where, "", hint)


def _syntax_problems(name: str, text: str, modules: dict[str, Module]) -> list[Diagnostic]:
    """rego-cpp's ``(error N:file|offset|length (errormsg N:message) ...)`` entries, located."""
    problems: list[Diagnostic] = []
    for where, message in _sexpr_errors(text):
        module_name, offset = where if where is not None else (name, None)
        module = modules.get(module_name) or modules.get(name)
        if module is not None and offset is not None:
            location = module.location_of_offset(offset)
        else:
            location = Location(module_name)
        problems.append(Diagnostic(f"rego: {message}", location, "", _hint_for(message)))
    located = {p.message for p in problems if p.location is not None and p.location.line}
    problems = [p for p in problems if (p.location is not None and p.location.line) or p.message not in located]
    return problems or [Diagnostic(f"rego: {text.strip().splitlines()[0] if text.strip() else 'invalid module'}",
                                   Location(name))]


def _length_prefixed(text: str, start: int) -> tuple[str, int]:
    """The ``N:chars`` string starting at ``start``, and the index after it."""
    colon = text.index(":", start)
    size = int(text[start:colon])
    return text[colon + 1 : colon + 1 + size], colon + 1 + size


def _sexpr_errors(text: str) -> list[tuple[tuple[str, int] | None, str]]:
    found: list[tuple[tuple[str, int] | None, str]] = []
    for match in re.finditer(r"\(error(?: (\d+):)?", text):
        where: tuple[str, int] | None = None
        if match.group(1) is not None:
            file_name, after = _length_prefixed(text, match.start(1))
            tail = re.match(r"\|(\d+)\|(\d+)", text[after:])
            if tail:
                where = (file_name, int(tail.group(1)))
        message_at = text.find("(errormsg ", match.end())
        if message_at < 0:
            continue
        message, _ = _length_prefixed(text, message_at + len("(errormsg "))
        found.append((where, message))
    return found


def _logs_by_query(stderr: str) -> dict[str, str]:
    logs: dict[str, str] = {}
    current = ""
    for line in stderr.splitlines():
        if line.startswith("@@query "):
            current = line.removeprefix("@@query ")
            continue
        if current:
            logs[current] = logs.get(current, "") + line + "\n"
    return logs


def _log_problems(log: str, modules: list[Module]) -> list[Diagnostic]:
    """``message`` / ``-- file:line:col`` blocks from rego-cpp's error log."""
    problems: list[Diagnostic] = []
    lines = log.splitlines()
    known = {m.name for m in modules}
    for index, line in enumerate(lines):
        match = re.match(r"^-- (.+):(\d+):(\d+)$", line)
        if not match or match.group(1) not in known:
            continue
        message = next(
            (lines[i].strip() for i in range(index - 1, -1, -1)
             if lines[i].strip() and not lines[i].startswith(("-", "~", "Errors:"))),
            "error",
        )
        location = Location(match.group(1), int(match.group(2)), int(match.group(3)))
        problems.append(Diagnostic(f"rego: {message}", location, "", _hint_for(message)))
    return problems


def _answer(result: dict[str, Any], log: str, modules: list[Module]) -> Answer:
    query = result["query"]
    if result["ok"] and "text" not in result:
        return Answer(query, result["value"])
    located = _log_problems(log, modules)
    if located:
        return Answer(query, problem=located[0])
    detail = result.get("error") or ""
    if "text" in result and result["text"].startswith('{"expressions"'):
        detail = "the engine produced malformed JSON"
        return Answer(query, problem=Diagnostic(f"rego: evaluation of {query} failed: {detail}",
                                                _locate_rule(query, modules), "", _MALFORMED_HINT))
    if "text" in result:
        errors = _sexpr_errors(result["text"])
        detail = errors[0][1] if errors else result["text"].strip().splitlines()[0]
    if "has no field" in detail and any(_WITH_INPUT in m.source for m in modules):
        with_at = next(loc for m in modules for loc in m.locations_of(_WITH_INPUT))
        return Answer(query, problem=Diagnostic(f"rego: cannot evaluate {query}: unsupported `with input as`",
                                                with_at, "", _WITH_HINT))
    where = _locate_detail(detail, modules) or _locate_rule(query, modules)
    message = f"rego: evaluation of {query} failed" + (f": {detail}" if detail else "")
    hint = _hint_for(detail) or (
        "the embedded engine gives no detail; look for a complete rule or function that produces two different "
        "values, or a conflict between rule definitions"
    )
    return Answer(query, problem=Diagnostic(message, where, "", hint))


def _locate_detail(detail: str, modules: list[Module]) -> Location | None:
    match = re.search(r"not found: ([\w.]+)$", detail)
    if not match:
        return None
    return next((loc for m in modules for loc in m.locations_of(match.group(1) + "(")), None)


def _locate_rule(query: str, modules: list[Module]) -> Location | None:
    package, _, rule = query.removeprefix("data.").rpartition(".")
    for module in modules:
        if module.package == package:
            where = module.location_of_rule(rule)
            if where is not None:
                return where
    return None


def _hint_for(message: str) -> str:
    if "Function not found" in message:
        return "see the README's Policy section for the built-ins the embedded engine supports"
    if "rule head" in message:
        return "write rules in Rego v1 syntax: `deny contains msg if { ... }`"
    return ""
