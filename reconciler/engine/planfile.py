"""Saved plans: the on-disk form of a Plan, and the checks that refuse a stale or foreign one.

Pure: the file itself is read and written by :mod:`reconciler.session.planfiles`. A saved plan is the
Plan's JSON (secrets are never in a Plan, so never in the file) with a checksum of its content:
:func:`parse` refuses a file edited after it was written, and one whose parts disagree (a change's
``after`` that is not what its ``diff``, the part ``show`` displays, makes it), so what is applied is
what was reviewed. Before a saved plan is applied, :func:`stale_reasons` compares it with the
manifests and the live deployments as they are now.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from reconciler import __version__
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import FORMAT_VERSION, Action, Plan, ResourceChange, content_checksum, written_content
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState


def parse(text: str, path: Path) -> Plan:
    """The plan a saved plan file's ``text`` holds (``path`` names it in errors), refusing files that are not
    plans, come from another format or major version, or were modified after they were written."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReconcilerError(
            f"{path}: not a comfyops plan file ({exc})", "create one with `comfyops plan --out FILE`"
        ) from exc
    if not isinstance(data, dict) or "format_version" not in data or "changes" not in data:
        raise ReconcilerError(f"{path}: not a comfyops plan file", "create one with `comfyops plan --out FILE`")
    if data["format_version"] != FORMAT_VERSION:
        raise ReconcilerError(
            f"{path}: plan format version {data['format_version']} is not supported "
            f"(this comfyops {__version__} reads version {FORMAT_VERSION})",
            "re-run `comfyops plan --out FILE` with this version",
        )
    written_by = str(data.get("comfyops_version", ""))
    if written_by.split(".")[0] != __version__.split(".")[0]:
        raise ReconcilerError(
            f"{path}: plan was made by comfyops {written_by or 'unknown'}, this is comfyops {__version__}",
            "re-run `comfyops plan --out FILE` with this version",
        )
    try:
        plan = Plan.from_dict(data)
    except ValueError as exc:
        raise ReconcilerError(f"{path}: the plan file is damaged ({str(exc).splitlines()[0]})") from exc
    replan = "re-run `comfyops plan --out FILE` and review the new plan"
    if "checksum" not in data:
        raise ReconcilerError(f"{path}: the plan file has no checksum, so it cannot be trusted", replan)
    if data["checksum"] != plan.checksum() or data["checksum"] != content_checksum(written_content(data)):
        raise ReconcilerError(
            f"{path}: the plan file was modified after it was written (its checksum does not match)", replan
        )
    problems = disagreements(plan)
    if problems:
        raise ReconcilerError(
            f"{path}: the plan file's parts disagree: {problems[0]}", "\n".join([*problems[1:], replan])
        )
    return plan


def check_environment(plan: Plan, path: Path, selected: str | None) -> None:
    """Refuse to use a saved plan for another environment than the one it was made for."""
    if selected is None or selected == plan.environment:
        return
    made_for = f"environment {plan.environment!r}" if plan.environment is not None else "no environment"
    raise ReconcilerError(
        f"{path}: the plan was made for {made_for}, not for --env {selected}",
        f"apply it without --env (or with --env {plan.environment}), or plan {selected} anew"
        if plan.environment is not None
        else f"re-run `comfyops plan --env {selected} --out FILE`",
    )


def disagreements(plan: Plan) -> list[str]:
    """Where a change's recorded ``after`` is not what its ``diff`` (what renderers show) would make live."""
    problems: list[str] = []
    for change in plan.pending:
        if change.action is Action.DELETE:
            continue
        problems.extend(_change_disagreements(change))
    return problems


def _change_disagreements(change: ResourceChange) -> list[str]:
    derived, recorded = change.planned_values(), change.after or {}
    in_diff = {d.field for d in change.diff}
    problems = []
    if recorded.get("name", change.name) != change.name:
        problems.append(
            f"{change.name}: after.name is {json.dumps(recorded.get('name'))} but the change is named "
            f"{json.dumps(change.name)}"
        )
    for key in sorted((set(derived) | set(recorded)) - {"name"}):
        if key in change.sensitive_fields:
            if recorded.get(key) is not None:
                problems.append(f"{change.name}: after.{key} holds a value for a sensitive field")
            continue
        if recorded.get(key) == derived.get(key):
            continue
        said = "says" if key in in_diff else "leaves it at"
        problems.append(
            f"{change.name}: after.{key} is {json.dumps(recorded.get(key))} but the diff {said} "
            f"{json.dumps(derived.get(key))}"
        )
    return problems


def _elsewhere(then: str, now: str) -> bool:
    """Whether two endpoints differ: another API URL, or the API against the emulator (emulator paths may
    be spelled relative to different working folders, so two emulators are not compared)."""
    if not then or not now:
        return False
    api = "RunComfy API at "
    return then.startswith(api) != now.startswith(api) or (then.startswith(api) and then != now)


def elsewhere(plan: Plan, endpoint: str) -> str | None:
    """Why ``plan`` cannot be applied against ``endpoint`` (made against another API), or None.

    Checked before any call: a plan made against the emulator, applied without ``--emulator``, must not
    reach the real API first."""
    if _elsewhere(plan.endpoint, endpoint):
        return f"the plan was made against {plan.endpoint}, not {endpoint}"
    return None


def _changed_variables(then: dict[str, str], now: Mapping[str, str]) -> list[str]:
    """Variables used both then and now whose value differs (their values are never recorded, only digests)."""
    return sorted(name for name in set(then) & set(now) if then[name] != now[name])


def stale_reasons(plan: Plan, desired: DesiredState, live: list[LiveDeployment], endpoint: str = "") -> list[str]:
    """Why ``plan`` no longer describes reality: it was made elsewhere, or manifests, variables or any
    live deployment it read changed."""
    reasons: list[str] = []
    made_elsewhere = elsewhere(plan, endpoint)
    if made_elsewhere:
        reasons.append(made_elsewhere)
    if desired.fingerprint() != plan.manifest_fingerprint:
        variables = _changed_variables(plan.variable_fingerprints, desired.variable_fingerprints)
        reasons.extend(f"environment variable {name} changed since the plan was made" for name in variables)
        if not variables or desired.source_fingerprint != plan.source_fingerprint:
            reasons.append("the manifests changed since the plan was made")
    now = {d.id: d for d in live}
    names = {c.id: c.name for c in plan.changes if c.id}
    for deployment_id, fingerprint in sorted(plan.live_fingerprints.items()):
        label = f"{names.get(deployment_id, 'deployment')} ({deployment_id})"
        current = now.get(deployment_id)
        if current is None:
            reasons.append(f"{label} no longer exists")
        elif current.fingerprint != fingerprint:
            label = f"{current.name} ({deployment_id})"
            reasons.append(f"{label} changed in RunComfy")
    for deployment_id in sorted(set(now) - set(plan.live_fingerprints)):
        reasons.append(f"{now[deployment_id].name} ({deployment_id}) was created in RunComfy")
    return reasons


def endpoints_differ(then: str, now: str) -> bool:
    """Whether two endpoints (``RunComfy API at URL``, ``emulator (...)``) are different targets, as a saved
    plan's is compared (two emulators are not told apart; an empty one matches any)."""
    return _elsewhere(then, now)
