"""``comfyops import``: write manifests for deployments that already exist in RunComfy.

Effectful shell: one list call (``includes=payload`` with ``--with-workflows``), the object_info of
each imported workflow when its URL is reachable, and atomic file writes (a temporary name, then a
rename: never a partial file). Existing files are never overwritten without ``--force``; without it
the command names every file it would overwrite and writes nothing. The texts come from the pure
``engine.importer``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from reconciler import safewrite
from reconciler.cli.context import AppContext
from reconciler.engine import importer, observe
from reconciler.engine.importer import ImportedDeployment
from reconciler.engine.live import LiveDeployment
from reconciler.errors import ReconcilerError
from reconciler.manifest.files import display_path
from reconciler.render import safe
from reconciler.runcomfy import errors
from reconciler.runcomfy.client import RunComfyClient

SCHEMA_FILE = Path("schemas") / "comfyops.schema.json"


@click.command("import")
@click.option("--id", "ids", multiple=True, metavar="ID", help="Import the live deployment with this id (repeatable).")
@click.option("--name", "names", multiple=True, metavar="GLOB",
              help="Import live deployments whose name matches (repeatable; globs like media-*).")
@click.option("--all", "everything", is_flag=True, help="Import every live deployment.")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), default=Path("deployments"),
              show_default=True, help="Folder to write <name>.yaml into.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option("--with-workflows", is_flag=True,
              help="Also write each workflow_api.json (workflows/<name>.<version>.json, set as spec.workflow_file) "
                   "and its object_info.json when reachable.")
@click.pass_obj
def command(app: AppContext, ids: tuple[str, ...], names: tuple[str, ...], everything: bool, out: Path,
            force: bool, with_workflows: bool) -> int:
    """Write one manifest per live deployment, id pinned, so that plan on them shows no changes.

    A live name that is not a valid manifest name is imported under a valid one (id pinned, the
    rename printed; the first plan shows it). Existing files are kept unless --force.

    \b
    Examples:
      comfyops import --all --out deployments
      comfyops import --name 'media-*' --with-workflows
    """
    if not (ids or names or everything):
        raise click.UsageError("say what to import: --id ID, --name GLOB or --all")
    client = app.client()
    live = observe.observe(client, include_payload=with_workflows)
    selected, problems = importer.select(live, ids=ids, names=names, everything=everything)
    if problems:
        known = ", ".join(f"{d.name} ({d.id})" for d in live[:20]) or "none"
        known += f", and {len(live) - 20} more" if len(live) > 20 else ""
        raise ReconcilerError(problems[0], "\n".join([*problems[1:], f"live deployments: {known}"]))
    if not selected:
        click.echo("No live deployments to import.")
        return 0
    items = importer.plan_import(selected, schema_ref=_schema_ref(out), with_workflows=with_workflows)
    _refuse_overwrite(out, items, force)
    by_id = {d.id: d for d in selected}
    written = {item.id: _write_one(out, item, by_id[item.id], client) for item in items}
    _report(app, out, items, written, with_workflows)
    return 0


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


def _write_one(out: Path, item: ImportedDeployment, deployment: LiveDeployment, client: RunComfyClient) -> list[Path]:
    written = [_atomic_write(out / item.manifest_file, item.text)]
    if item.workflow_file is None or item.workflow_api_json is None:
        return written
    written.append(_atomic_write(out / item.workflow_file, importer.workflow_text(item.workflow_api_json)))
    info = _object_info(deployment, client)
    if info is not None and item.object_info_file and item.provenance_file:
        written.append(_atomic_write(out / item.object_info_file, json.dumps(info, indent=1, sort_keys=True) + "\n"))
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        sidecar = importer.provenance(deployment, fetched_at=fetched_at)
        written.append(_atomic_write(out / item.provenance_file, json.dumps(sidecar, indent=2) + "\n"))
    return written


def _object_info(deployment: LiveDeployment, client: RunComfyClient) -> dict[str, Any] | None:
    url = deployment.object_info_url
    if not url:
        click.echo(f"warning: {safe.terminal(deployment.name)}: the API gives no object_info_url; "
                   "object_info.json not written", err=True)
        return None
    try:
        return client.fetch_object_info(url)
    except errors.ApiError as exc:  # the URL is not shown: it may be signed
        click.echo(f"warning: {safe.terminal(deployment.name)}: object_info is not reachable "
                   f"({safe.terminal(exc.summary)}); "
                   "object_info.json not written", err=True)
        return None


def _atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    try:
        safewrite.write_text(path, text)
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


def _plan_command(app: AppContext, out: Path, manifests: list[Path]) -> str:
    """The plan that should show no changes: over ``out`` when it holds only what import wrote, else over
    the imported files one by one (other manifests beside them may need presets, Settings or an ``--env``
    they do not have)."""
    from reconciler.cli.followups import followup, invocation

    wrote = {path.resolve() for path in manifests}
    others = [p for pattern in ("*.yaml", "*.yml") for p in out.rglob(pattern) if p.resolve() not in wrote]
    files = [display_path(out)] if not others else [display_path(path) for path in manifests]
    return followup("plan", base=invocation(app).with_manifests(files, None))


def _report(app: AppContext, out: Path, items: list[ImportedDeployment], written: dict[str, list[Path]],
            with_workflows: bool) -> None:
    for item in items:
        live = f"{safe.terminal(item.live_name)}, id {safe.terminal(item.id)}"
        click.echo(f"Wrote {display_path(out / item.manifest_file)} ({live})")
        if item.renamed:
            click.echo(f"  renamed: {safe.terminal(repr(item.live_name))} is not a valid manifest name (or is taken); "
                       f"imported as {safe.terminal(repr(item.name))} with metadata.id pinned. The first plan "
                       "shows the rename; apply renames the live deployment.")
        for problem in item.problems:
            click.echo(f"  warning: {display_path(out / item.manifest_file)}: {safe.terminal(problem)} "
                       "(hint: the live value is "
                       "outside the manifest's range; edit the file before running plan)", err=True)
        if with_workflows and item.workflow_file is None:
            click.echo(f"  warning: {safe.terminal(item.live_name)}: the API returned no workflow_api_json; "
                       "spec.workflow_file left out", err=True)
        for path in written[item.id][1:]:
            click.echo(f"Wrote {display_path(path)}")
    plan = _plan_command(app, out, [out / item.manifest_file for item in items])
    count = len(items)
    click.echo(f"\nImported {count} deployment{'s' if count != 1 else ''}. Next: `{plan}` should show no changes"
               + (" (except the renames above)." if any(i.renamed for i in items) else "."))
