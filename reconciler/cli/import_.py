"""``comfyops import``: write manifests for deployments that already exist in RunComfy.

The use case is :mod:`reconciler.session.importing`; this command parses options and reports what
was written.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import output
from reconciler.cli.manifests import files_option, load_desired, selected_environment
from reconciler.engine.importer import ImportedDeployment
from reconciler.manifest.files import display_path
from reconciler.render import safe
from reconciler.session import import_env, importing
from reconciler.session.session import Session

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
@files_option
@click.pass_obj
def command(app: Session, ids: tuple[str, ...], names: tuple[str, ...], everything: bool, out: Path,
            force: bool, with_workflows: bool, files: tuple[str, ...]) -> int:
    """Write one manifest per live deployment, id pinned, so that plan on them shows no changes.

    A live name that is not a valid manifest name is imported under a valid one (id pinned, the
    rename printed; the first plan shows it). Existing files are kept unless --force. With --env NAME
    (the manifests under -f declare it), the environment's prefix/suffix is stripped from each name and
    the id is pinned in that Environment's spec.ids instead of the manifest.

    \b
    Examples:
      comfyops import --all --out deployments
      comfyops import --name 'media-*' --with-workflows
      comfyops import --env staging --name '*-staging' -f . --out deployments
    """
    if not (ids or names or everything):
        raise click.UsageError("say what to import: --id ID, --name GLOB or --all")
    environment = selected_environment()
    env = import_env.target(load_desired(files, environment)) if environment else None
    imported = importing.import_live(app, ids=ids, names=names, everything=everything, out=out, force=force,
                                     with_workflows=with_workflows, env=env)
    if imported is None:
        output.echo("No live deployments to import.")
        return 0
    for item in imported.pinned:
        assert env is not None
        output.echo(safe.terminal(f"Pinned {item.live_name} (id {item.id}) as {item.name!r} in environment "
                                  f"{env.name} ({display_path(env.file)}: spec.ids)"))
    _report(app, out, imported.items, imported.written, with_workflows, files)
    return 0


def _plan_command(app: Session, out: Path, manifests: list[Path]) -> str:
    """The plan that should show no changes: over ``out`` when it holds only what import wrote, else over
    the imported files one by one (other manifests beside them may need presets, Settings or an ``--env``
    they do not have)."""
    from reconciler.cli.followups import followup, invocation

    wrote = {path.resolve() for path in manifests}
    others = [p for pattern in ("*.yaml", "*.yml") for p in out.rglob(pattern) if p.resolve() not in wrote]
    files = [display_path(out)] if not others else [display_path(path) for path in manifests]
    return followup("plan", base=invocation(app).with_manifests(files, None))


def _report(app: Session, out: Path, items: list[ImportedDeployment], written: dict[str, list[Path]],
            with_workflows: bool, files: tuple[str, ...] = ()) -> None:
    for item in items:
        live = f"{safe.terminal(item.live_name)}, id {safe.terminal(item.id)}"
        output.echo(f"Wrote {display_path(out / item.manifest_file)} ({live})")
        if item.renamed:
            output.echo(f"  renamed: {safe.terminal(repr(item.live_name))} is not a valid manifest name (or is taken); "
                        f"imported as {safe.terminal(repr(item.name))} with metadata.id pinned. The first plan "
                        "shows the rename; apply renames the live deployment.")
        for problem in item.problems:
            output.echo(f"  warning: {display_path(out / item.manifest_file)}: {safe.terminal(problem)} "
                        "(hint: the live value is "
                        "outside the manifest's range; edit the file before running plan)", err=True)
        if with_workflows and item.workflow_file is None:
            output.echo(f"  warning: {safe.terminal(item.live_name)}: the API returned no workflow_api_json; "
                       "spec.workflow_file left out", err=True)
        for path in written[item.id][1:]:
            output.echo(f"Wrote {display_path(path)}")
    plan = _plan_command(app, out, [out / item.manifest_file for item in items])
    if selected_environment():  # the base manifests and the Environment that pins the ids are read together
        from reconciler.cli.followups import followup

        plan = followup("plan", app=app)
    count = len(items)
    output.echo(f"\nImported {count} deployment{'s' if count != 1 else ''}. Next: `{plan}` should show no changes"
               + (" (except the renames above)." if any(i.renamed for i in items) else "."))
