"""Saved plans: the on-disk form of a Plan, and the checks that refuse a stale or foreign one.

Pure except for :func:`save` and :func:`load`, which write and read one file. A saved plan is the
Plan's JSON (secrets are never in a Plan, so never in the file). Before a saved plan is applied,
:func:`stale_reasons` compares it with the manifests and the live deployments as they are now.
"""

from __future__ import annotations

import json
from pathlib import Path

from reconciler import __version__
from reconciler.engine.live import LiveDeployment
from reconciler.engine.plan import FORMAT_VERSION, Plan
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState


def save(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan.to_json(), encoding="utf-8")


def load(path: Path) -> Plan:
    """Read a saved plan, refusing files that are not plans or come from another format or major version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReconcilerError(f"{path}: no such plan file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
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
        return Plan.from_dict(data)
    except ValueError as exc:
        raise ReconcilerError(f"{path}: the plan file is damaged ({str(exc).splitlines()[0]})") from exc


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


def stale_reasons(plan: Plan, desired: DesiredState, live: list[LiveDeployment]) -> list[str]:
    """Why ``plan`` no longer describes reality: manifests or any live deployment it read changed."""
    reasons: list[str] = []
    if desired.fingerprint() != plan.manifest_fingerprint:
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
