"""Run a GitHub Actions workflow file's ``run:`` steps locally, in order, with the ``env:`` they declare.

Not a general Actions runner: just enough of one for the ComfyOps templates, strict about the rest
so a template that grows beyond it fails here instead of rotting. Jobs run in ``needs`` order, each
matrix combination in turn; ``if:`` conditions and ``${{ }}`` in ``env:`` values are evaluated with
a small expression evaluator (contexts ``github``, ``matrix``, ``secrets``, ``steps``, ``env``,
``needs``; functions ``success()``, ``failure()``, ``always()``, ``cancelled()``; operators ``==``,
``!=``, ``&&``, ``||``, ``!``). ``run:`` scripts run with ``bash --noprofile --norc -eo pipefail``
like GitHub's ``shell: bash``, each step with its own ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``
file. ``uses:`` steps are stood in for: checkout (each job gets a fresh copy of the folder, as it is
when the job starts), the ComfyOps action (``comfyops`` is on PATH), upload-artifact (the file is kept
under its name; ``overwrite`` replaces it; outputs ``artifact-id`` and ``artifact-url`` as GitHub's are:
``<server>/<repo>/actions/runs/<run id>/artifacts/<id>``) and download-artifact (a file uploaded earlier in
the same run is copied into ``path``); any other action fails. A job with an ``environment:`` first asks
``approve(job, environment)``, standing in for the environment's required reviewers: the test can
change the world while the job waits, and a ``False`` rejects the job. Every step's environment is
recorded, so a test can prove what a job never held.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KNOWN_ACTIONS = ("actions/checkout", "comfyops/comfyops", "actions/upload-artifact", "actions/download-artifact")
Approver = Callable[[str, str], bool]


@dataclass
class StepResult:
    """One step as it ran (or was skipped)."""

    job: str
    name: str
    outcome: str  # success | failure | skipped
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    summary: str = ""
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class JobResult:
    """One job (one matrix combination) and its steps."""

    key: str
    outcome: str
    steps: list[StepResult] = field(default_factory=list)
    environment: str = ""

    @property
    def summary(self) -> str:
        """The job summary: every step's summary, in order."""
        return "".join(s.summary for s in self.steps)

    def step(self, name: str) -> StepResult:
        """The step named ``name``."""
        return next(s for s in self.steps if s.name == name)


@dataclass
class WorkflowRun:
    """Every job of one run, and the artifacts uploaded."""

    jobs: dict[str, JobResult] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)
    uploads: list[tuple[str, Path]] = field(default_factory=list)


def load(path: Path) -> dict[str, Any]:
    """The workflow as a dict, with YAML 1.1's ``on: -> True`` key put back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data  # type: ignore[no-any-return]


def run_workflow(
    path: Path,
    *,
    event_name: str,
    event: dict[str, Any],
    workdir: Path,
    env: dict[str, str],
    secrets: dict[str, str],
    github_token: str,
    scratch: Path,
    approve: Approver | None = None,
    record: WorkflowRun | None = None,
) -> WorkflowRun:
    """Run the workflow at ``path`` for ``event_name`` in ``workdir`` (the checkout); ``record`` (if given)
    collects the jobs and artifacts as they happen, for an ``approve`` callback to look at."""
    workflow = load(path)
    on = workflow["on"]
    assert event_name in (on if isinstance(on, dict) else [on]), f"{path.name} does not run on {event_name}"
    run = record if record is not None else WorkflowRun()
    github = {
        "event_name": event_name,
        "event": event,
        "repository": env["GITHUB_REPOSITORY"],
        "sha": env["GITHUB_SHA"],
        "run_id": env["GITHUB_RUN_ID"],
        "server_url": env["GITHUB_SERVER_URL"],
        "token": github_token,
    }
    outcomes: dict[str, str] = {}
    for job_id in _job_order(workflow["jobs"]):
        job = workflow["jobs"][job_id]
        needs = [job["needs"]] if isinstance(job.get("needs"), str) else list(job.get("needs", []))
        combos = _matrix(job)
        results = []
        for combo in combos:
            key = job_id + (f" ({', '.join(str(v) for v in combo.values())})" if combo else "")
            context = {
                "github": github,
                "matrix": combo,
                "secrets": secrets,
                "steps": {},
                "needs": {n: {"result": outcomes.get(n, "skipped")} for n in needs},
                "env": {},
            }
            needs_ok = all(outcomes.get(n) == "success" for n in needs)
            condition = job.get("if", "success()")
            if not evaluate_condition(condition, context, prior_ok=needs_ok, prior_failed=not needs_ok):
                result = JobResult(key, "skipped")
            else:
                result = _run_job(job_id, key, job, workflow, context, workdir, env, scratch, run, approve)
            run.jobs[key] = result
            results.append(result.outcome)
        outcomes[job_id] = "failure" if "failure" in results else "success" if "success" in results else "skipped"
    return run


def _job_order(jobs: dict[str, Any]) -> list[str]:
    order: list[str] = []
    pending = dict(jobs)
    while pending:
        ready = [
            j
            for j, spec in pending.items()
            if all(
                n in order for n in ([spec["needs"]] if isinstance(spec.get("needs"), str) else spec.get("needs", []))
            )
        ]
        assert ready, f"a cycle in needs: {sorted(pending)}"
        order.extend(ready)
        for j in ready:
            del pending[j]
    return order


def _matrix(job: dict[str, Any]) -> list[dict[str, Any]]:
    matrix = job.get("strategy", {}).get("matrix")
    if not matrix:
        return [{}]
    assert set(matrix) - {"include", "exclude"} == set(matrix), "include/exclude are not supported here"
    keys = sorted(matrix)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(matrix[k] for k in keys))]


def _run_job(
    job_id: str,
    key: str,
    job: dict[str, Any],
    workflow: dict[str, Any],
    context: dict[str, Any],
    workdir: Path,
    base_env: dict[str, str],
    scratch: Path,
    run: WorkflowRun,
    approve: Approver | None,
) -> JobResult:
    result = JobResult(key, "success")
    if "environment" in job:
        result.environment = interpolate(str(job["environment"]), context)
        if approve is not None and not approve(key, result.environment):
            result.outcome = "failure"  # rejected by the environment's reviewers
            return result
    checkout = scratch / re.sub(r"[^a-z0-9]+", "-", f"job-{key}".lower())
    shutil.copytree(workdir, checkout)
    workdir = checkout
    base_env = {**base_env, "GITHUB_WORKSPACE": str(checkout)}
    job_env = {k: interpolate(str(v), context) for k, v in {**workflow.get("env", {}), **job.get("env", {})}.items()}
    context["env"] = job_env
    failed = False
    shell = job.get("defaults", {}).get("run", {}).get("shell") or workflow.get("defaults", {}).get("run", {}).get(
        "shell", "bash"
    )
    assert shell == "bash", f"{job_id}: only bash is supported"
    for index, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {index + 1}"
        if not evaluate_condition(step.get("if", "success()"), context, prior_ok=not failed, prior_failed=failed):
            result.steps.append(StepResult(key, name, "skipped"))
            _record(context, step, "skipped", {})
            continue
        if "uses" in step:
            outcome, outputs = _stand_in(step, context, workdir, run, base_env)
            result.steps.append(StepResult(key, name, outcome))
            _record(context, step, outcome, outputs)
            failed = failed or outcome == "failure"
            continue
        step_env = {k: interpolate(str(v), context) for k, v in step.get("env", {}).items()}
        tag = re.sub(r"[^a-z0-9]+", "-", f"{key}-{index}".lower())
        output, summary = scratch / f"output-{tag}", scratch / f"summary-{tag}"
        output.write_text("")
        summary.write_text("")
        env = {
            **base_env,
            **job_env,
            **step_env,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_JOB": job_id,
        }
        script = step["run"]
        assert "${{" not in script, f"{job_id}: {name}: expression inside a run: script"
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        outcome = "success" if proc.returncode == 0 else "failure"
        result.steps.append(
            StepResult(
                key, name, outcome, proc.returncode, proc.stdout, proc.stderr, summary.read_text(encoding="utf-8"), env
            )
        )
        _record(context, step, outcome, _outputs(output))
        failed = failed or outcome == "failure"
    result.outcome = "failure" if failed else "success"
    return result


def _stand_in(
    step: dict[str, Any], context: dict[str, Any], workdir: Path, run: WorkflowRun, env: dict[str, str]
) -> tuple[str, dict[str, str]]:
    action = str(step["uses"]).split("@", 1)[0]
    assert action in KNOWN_ACTIONS, f"no stand-in for action {action}"
    if action == "actions/upload-artifact":
        inputs = {k: interpolate(str(v), context) for k, v in step.get("with", {}).items()}
        source = workdir / inputs["path"]
        if not source.is_file():
            return ("failure" if inputs.get("if-no-files-found", "warn") == "error" else "success"), {}
        if inputs["name"] in run.artifacts and inputs.get("overwrite", "false").lower() != "true":
            return "failure", {}  # upload-artifact refuses a second artifact of the same name in one run
        kept = workdir.parent / "artifacts" / f"{inputs['name']}-{len(run.uploads)}" / source.name
        kept.parent.mkdir(parents=True)
        shutil.copyfile(source, kept)
        run.artifacts[inputs["name"]] = kept
        run.uploads.append((inputs["name"], kept))
        artifact_id = str(1000 + len(run.uploads))
        runs = f"{env.get('GITHUB_SERVER_URL', '')}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs"
        url = f"{runs}/{env.get('GITHUB_RUN_ID', '')}/artifacts/{artifact_id}"
        return "success", {"artifact-id": artifact_id, "artifact-url": url}
    if action == "actions/download-artifact":
        inputs = {k: interpolate(str(v), context) for k, v in step.get("with", {}).items()}
        found = run.artifacts.get(inputs["name"])
        if found is None:
            return "failure", {}
        target = workdir / inputs.get("path", ".") / found.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, target)
    return "success", {}


def _record(context: dict[str, Any], step: dict[str, Any], outcome: str, outputs: dict[str, str]) -> None:
    if "id" in step:
        context["steps"][step["id"]] = {"outcome": outcome, "conclusion": outcome, "outputs": outputs}


def _outputs(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values


# -- expressions -----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_.-]*))"
)


def interpolate(text: str, context: dict[str, Any]) -> str:
    """``text`` with every ``${{ expr }}`` replaced by its value as GitHub prints it."""

    def value(match: re.Match[str]) -> str:
        result = _Parser(match.group(1), context).parse()
        if isinstance(result, bool):
            return "true" if result else "false"
        return "" if result is None else str(result)

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def evaluate_condition(condition: Any, context: dict[str, Any], *, prior_ok: bool, prior_failed: bool) -> bool:
    """An ``if:`` value: with or without ``${{ }}``; a condition without a status function implies success()."""
    if isinstance(condition, bool):
        return condition and prior_ok
    text = str(condition).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    context = {**context, "__status__": (prior_ok, prior_failed)}
    result = bool(_Parser(text, context).parse())
    if not re.search(r"\b(success|failure|always|cancelled)\(\)", text):
        result = result and prior_ok
    return result


class _Parser:
    """Recursive descent: or -> and -> not -> comparison -> primary."""

    def __init__(self, text: str, context: dict[str, Any]) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            assert match and match.end() > pos, f"cannot parse expression {text!r} at {text[pos:]!r}"
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.context = context
        self.pos = 0

    def parse(self) -> Any:
        value = self._or()
        assert self.pos == len(self.tokens), f"trailing tokens in {self.tokens}"
        return value

    def _peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def _take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value or right
        return value

    def _and(self) -> Any:
        value = self._not()
        while self._peek() == "&&":
            self._take()
            right = self._not()
            value = value and right
        return value

    def _not(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not self._not()
        return self._comparison()

    def _comparison(self) -> Any:
        left = self._primary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._primary()
            equal = (
                (left.lower() == right.lower()) if isinstance(left, str) and isinstance(right, str) else left == right
            )
            left = equal if op == "==" else not equal
        return left

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(" and kind == "op":
            value = self._or()
            assert self._take()[1] == ")"
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            self._take()
            assert self._take()[1] == ")", "only zero-argument functions are supported"
            ok, failed = self.context.get("__status__", (True, False))
            return {"success": ok and not failed, "failure": failed, "always": True, "cancelled": False}[text]
        value: Any = self.context
        for part in text.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value
