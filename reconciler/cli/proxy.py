"""``comfyops proxy DEPLOYMENT INSTANCE_ID PATH``: call a ComfyUI backend route on a live instance.

The use case is :func:`reconciler.session.instances.proxy_call`. It sends ``POST
/prod/v2/deployments/{id}/instances/{instance}/proxy/{PATH}`` (POST is the documented proxy method; ``--method
GET`` for a route that only answers GET), with ``--data`` as the JSON body (``{}`` without it), and prints
ComfyUI's answer on stdout: JSON pretty-printed, text as is, binary as bytes, nothing for an empty body (the
status goes to stderr). A POST is sent once: a proxied ``api/prompt`` must not run twice, so only calls that
surely did not land are retried; a GET is retried like any read. PATH may carry a query
(``view?filename=x.png``).
"""

from __future__ import annotations

import json
from typing import Any

import click

from reconciler.cli import output
from reconciler.cli.manifests import settings_of, settings_option
from reconciler.runcomfy import wire
from reconciler.session.instances import proxy_call
from reconciler.session.session import Session


def parse_data(text: str | None) -> Any:
    """``--data`` as JSON (None when not given); a clear usage error when it does not parse."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--data") from None


def show(answer: wire.ProxyAnswer) -> None:
    """Print an answer's body on stdout (JSON indented, binary as is); for an empty body, its status on stderr."""
    if not answer.content.strip():
        output.echo(f"HTTP {answer.status_code} (no body)", err=True)
        return
    if answer.is_json:
        try:
            output.echo(json.dumps(answer.json(), indent=2, ensure_ascii=False))
            return
        except ValueError:
            pass
    kind = answer.content_type.lower()
    if kind and not kind.startswith("text/") and "json" not in kind:
        output.echo(answer.content, nl=False)  # bytes as they came (e.g. an image: redirect to a file)
        return
    output.echo(answer.text, nl=not answer.text.endswith("\n"))


@click.command("proxy")
@click.argument("deployment")
@click.argument("instance_id")
@click.argument("path")
@click.option("--data", metavar="JSON", help="JSON body to send, e.g. '{\"unload_models\": true}'.")
@click.option("--method", type=click.Choice(["POST", "GET"], case_sensitive=False), default="POST",
              show_default=True, help="HTTP method (the proxy is documented as POST).")
@settings_option
@click.pass_obj
def command(app: Session, deployment: str, instance_id: str, path: str, data: str | None, method: str,
            files: tuple[str, ...]) -> int:
    """Call ComfyUI's PATH (e.g. object_info, system_stats, api/free) on a live instance of DEPLOYMENT.

    \b
    Examples:
      comfyops proxy media-sdxl-txt2img INSTANCE_ID system_stats
      comfyops proxy media-sdxl-txt2img INSTANCE_ID api/free --data '{"unload_models": true}'
    """
    body = parse_data(data)
    if method.upper() == "GET" and body is not None:
        raise click.BadParameter("a GET sends no body; drop --data or use --method POST", param_hint="--data")
    show(proxy_call(app, settings_of(files), deployment, instance_id, path, body=body, method=method.upper()))
    return 0
