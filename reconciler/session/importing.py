"""The import use case: manifests (and workflows) written for deployments that already exist in RunComfy.

Effectful: one list call (``includes=payload`` with ``--with-workflows``), the object_info of each
imported workflow when its URL is reachable, and atomic file writes (:func:`reconciler.workspace.write_text`:
a temporary name, then a rename: never a partial file). Existing files are never overwritten without
``force``; without it nothing is written and the error names every file it would overwrite. The texts
come from the pure :mod:`reconciler.engine.importer`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import workspace
from reconciler.engine import importer
from reconciler.engine.importer import ImportedDeployment
from reconciler.engine.live import LiveDeployment
from reconciler.errors import ReconcilerError
from reconciler.manifest.files import display_path
from reconciler.render import safe
from reconciler.runcomfy import errors
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session import import_env, observe
from reconciler.session.session import Session

SCHEMA_FILE = Path("schemas") / "comfyops.schema.json"


@dataclass(frozen=True)
class Imported:
    """What import wrote: the imported deployments, and per deployment id the files written (manifest first)."""

    items: list[ImportedDeployment]
    written: dict[str, list[Path]]
    pinned: list[ImportedDeployment] = field(default_factory=list)
    """With ``--env``: every imported deployment whose id was pinned in the Environment (written or not)."""
    environment: import_env.EnvironmentTarget | None = None


def import_live(app: Session, *, ids: tuple[str, ...], names: tuple[str, ...], everything: bool, out: Path,
                force: bool, with_workflows: bool, env: import_env.EnvironmentTarget | None = None) -> Imported | None:
    """Write one manifest per selected live deployment into ``out``; None when there is nothing to import.

    With ``env`` (``import --env``), names lose that environment's affixes, manifests pin no id, and the ids
    are pinned in the Environment document instead (a base name already declared gets only the pin).
    """
    client = app.client()
    live = observe.observe(client, include_payload=with_workflows)
    selected, problems = importer.select(live, ids=ids, names=names, everything=everything)
    if problems:
        known = ", ".join(f"{d.name} ({d.id})" for d in live[:20]) or "none"
        known += f", and {len(live) - 20} more" if len(live) > 20 else ""
        raise ReconcilerError(problems[0], "\n".join([*problems[1:], f"live deployments: {known}"]))
    if not selected:
        return None
    base_names = env.base_names(selected) if env is not None else None
    items = importer.plan_import(selected, schema_ref=_schema_ref(out), with_workflows=with_workflows,
                                 base_names=base_names)
    declared = [i for i in items if env is not None and i.name in env.declared]  # only the pin is written
    items = [i for i in items if i not in declared]
    _refuse_overwrite(out, items, force)
    pins = {i.name: i.id for i in [*items, *declared]}
    env_text = import_env.pinned_text(env, pins, force=force) if env is not None else None
    by_id = {d.id: d for d in selected}
    written = {item.id: _write_one(app, out, item, by_id[item.id], client) for item in items}
    if env is not None and env_text is not None:
        _atomic_write(env.file, env_text)
    return Imported(items=items, written=written, pinned=[*items, *declared] if env else [], environment=env)


def _targets(out: Path, item: ImportedDeployment) -> list[Path]:
    paths = [out / item.manifest_file]
    for rel in (item.workflow_file, item.object_info_file, item.provenance_file):
        if rel is not None:
            paths.append(out / rel)
    return paths


def _refuse_overwrite(out: Path, items: list[ImportedDeployment], force: bool) -> None:
    existing = [p for item in items for p in _targets(out, item) if p.exists()]
    if existing and not force:
        shown = [display_path(p) for p in existing]
        raise ReconcilerError(
            f"refusing to overwrite {len(existing)} existing file{'s' if len(existing) != 1 else ''}: "
            + ", ".join(shown),
            "nothing was written; pass --force to overwrite them, or --out another folder",
        )


def _write_one(
    app: Session, out: Path, item: ImportedDeployment, deployment: LiveDeployment, client: RunComfyClient
) -> list[Path]:
    written = [_atomic_write(out / item.manifest_file, item.text)]
    if item.workflow_file is None or item.workflow_api_json is None:
        return written
    written.append(_atomic_write(out / item.workflow_file, importer.workflow_text(item.workflow_api_json)))
    info = _object_info(app, deployment, client)
    if info is not None and item.object_info_file and item.provenance_file:
        written.append(_atomic_write(out / item.object_info_file, json.dumps(info, indent=1, sort_keys=True) + "\n"))
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        sidecar = importer.provenance(deployment, fetched_at=fetched_at)
        written.append(_atomic_write(out / item.provenance_file, json.dumps(sidecar, indent=2) + "\n"))
    return written


def _object_info(app: Session, deployment: LiveDeployment, client: RunComfyClient) -> dict[str, Any] | None:
    url = deployment.object_info_url
    if not url:
        app.out.note(f"warning: {safe.terminal(deployment.name)}: the API gives no object_info_url; "
                     "object_info.json not written")
        return None
    try:
        return client.fetch_object_info(url)
    except errors.ApiError as exc:  # the URL is not shown: it may be signed
        app.out.note(f"warning: {safe.terminal(deployment.name)}: object_info is not reachable "
                     f"({safe.terminal(exc.summary)}); object_info.json not written")
        return None


def _atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    try:
        workspace.write_text(path, text, user_file=True)
    except OSError as exc:
        raise ReconcilerError(
            f"could not write {display_path(path)}: {exc.strerror or exc}",
            "files written before it are complete and no partial file was left; fix the cause and re-run "
            "with --force",
        ) from exc
    return path


def _schema_ref(out: Path) -> str:
    """The schema header's path, relative to ``out``: the nearest ``schemas/comfyops.schema.json`` above it,
    else where ``comfyops schema --out schemas`` would put it in the working directory."""
    folder = out.resolve()
    for parent in (folder, *folder.parents):
        if (parent / SCHEMA_FILE).is_file():
            return Path(os.path.relpath(parent / SCHEMA_FILE, folder)).as_posix()
    return Path(os.path.relpath(Path.cwd().resolve() / SCHEMA_FILE, folder)).as_posix()
