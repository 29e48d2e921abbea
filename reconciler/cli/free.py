"""``comfyops free DEPLOYMENT [INSTANCE_ID]``: unload models and free GPU memory on a live instance.

The use case is :mod:`reconciler.session.freeing`: it POSTs ComfyUI's ``api/free`` through the instance
proxy, ``--unload-models`` and ``--free-memory`` mapping to the body's ``unload_models`` / ``free_memory``
(neither given: both). Without INSTANCE_ID the instance is the most recently active one in the request
history that may still be warm (its last request finished less than the deployment's keep-warm ago, or is
still running); the deployment's newest unfinished requests are re-read first. The API lists no
instances, so they are known only through requests ComfyOps submitted here.
"""

from __future__ import annotations

import click

from reconciler.cli import output
from reconciler.cli.manifests import settings_of, settings_option
from reconciler.render import safe
from reconciler.session.freeing import free
from reconciler.session.session import Session


@click.command("free")
@click.argument("deployment")
@click.argument("instance_id", required=False)
@click.option("--unload-models", is_flag=True, help="Unload model weights (body unload_models: true).")
@click.option("--free-memory", is_flag=True, help="Clear the execution cache and free VRAM (free_memory: true).")
@settings_option
@click.pass_obj
def command(app: Session, deployment: str, instance_id: str | None, unload_models: bool, free_memory: bool,
            files: tuple[str, ...]) -> int:
    """Free GPU memory on an instance of DEPLOYMENT (default: the newest one that may still be warm).

    \b
    Examples:
      comfyops free media-sdxl-txt2img
      comfyops free media-sdxl-txt2img INSTANCE_ID --unload-models
    """
    freed = free(app, settings_of(files), deployment, instance_id, unload_models=unload_models,
                 free_memory=free_memory)
    done = [what for what, on in (("models unloaded", freed.unload_models), ("memory freed", freed.free_memory)) if on]
    output.echo(f"Freed instance {safe.terminal(freed.instance_id)} of {safe.terminal(freed.live.name)}: "
                f"{', '.join(done)}.")
    return 0
