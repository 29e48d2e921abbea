"""``comfyops emulator``: run the local RunComfy emulator over HTTP, or clear its state.

Effectful shell over :mod:`reconciler.emulator`. ``serve`` runs the same app that ``--emulator``
embeds, with uvicorn in the foreground, on the same state directory (``--state``, else
``COMFYOPS_EMULATOR_STATE``, else ``.comfyops/emulator``), so deployments created through either
are seen by both. ``reset`` forgets everything in that directory.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from reconciler import readfile, workspace
from reconciler.cli import output
from reconciler.errors import ReconcilerError

TOKEN_ENV = "COMFYOPS_EMULATOR_TOKEN"


def _state_dir(value: Path | None) -> Path:
    return value if value is not None else workspace.emulator_state()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or one line saying why not (before anything is printed)."""
    if not 1 <= port <= 65535:
        raise ReconcilerError(f"port {port} is out of range; pick one from 1 to 65535 with --port")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (OSError, UnicodeError) as exc:
        raise ReconcilerError(f"cannot listen on {host!r}: not a local address ({exc})") from None
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart need not wait out TIME_WAIT
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ReconcilerError(f"port {port} is in use; pick another with --port") from None
        if exc.errno == errno.EACCES:
            raise ReconcilerError(f"port {port} needs privileges to listen on; pick another with --port") from None
        raise ReconcilerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _parse_registration(spec: str) -> tuple[str, str, dict[str, Any]]:
    """``ID:VERSION:FILE`` -> (workflow id, version, graph read from the JSON file)."""
    from reconciler.emulator.workflows import graph_problems

    parts = spec.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise click.BadParameter(f"{spec!r}: expected ID:VERSION:FILE", param_hint="--register-workflow")
    workflow_id, version, file = parts
    try:
        graph = readfile.parse_json(readfile.read_text(Path(file), limit=readfile.WORKFLOW_LIMIT))
    except readfile.FileProblem as exc:
        raise click.BadParameter(f"{file}: {exc.message}", param_hint="--register-workflow") from None
    problems = graph_problems(graph)
    if problems:
        raise click.BadParameter(
            f"{file}: not an API-format workflow_api.json ({problems[0]['msg']})",
            param_hint="--register-workflow",
        )
    return workflow_id, version, graph


STATE_OPTION = click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="State directory (default: COMFYOPS_EMULATOR_STATE or .comfyops/emulator).",
)
"""``--state DIR``: the emulator state folder ``serve`` and ``reset`` use."""


@click.group(name="emulator")
def command() -> None:
    """Run a local RunComfy Serverless API emulator, or reset its state."""


@command.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8189, show_default=True, type=int, help="Port to listen on.")
@STATE_OPTION
@click.option(
    "--register-workflow",
    "registrations",
    multiple=True,
    metavar="ID:VERSION:FILE",
    help="Register a workflow_api.json as workflow ID at VERSION (repeatable).",
)
@click.option(
    "--speed", default=1.0, show_default=True, type=float, help="Run request lifecycles N times faster."
)
@click.option(
    "--no-rate-limit", is_flag=True, help="Turn the 1 request/s limit off (persisted in the state)."
)
@click.option(
    "--noise", type=click.FloatRange(0.0, 1.0), default=None, metavar="SIGMA",
    help="Pixel noise of output pictures, as a fraction of full scale (e.g. 0.02; 0 = identical runs; "
    "persisted in the state; COMFYOPS_EMULATOR_NOISE overrides it per process).",
)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    default=None,
    metavar="TOKEN",
    help=f"Accept only this Bearer token (env {TOKEN_ENV}), to rehearse a wrong-token run; default: any token.",
)
def serve(
    host: str,
    port: int,
    state_dir: Path | None,
    registrations: tuple[str, ...],
    speed: float,
    no_rate_limit: bool,
    noise: float | None,
    token: str | None,
) -> None:
    """Serve the emulator over HTTP until interrupted.

    \b
    Example:
      comfyops emulator serve --register-workflow wf-1:v1:workflow_api.json
      RUNCOMFY_API_URL=http://127.0.0.1:8189 RUNCOMFY_API_TOKEN=anything comfyops plan -f examples --env staging
    """
    import uvicorn

    from reconciler.emulator.app import create_app
    from reconciler.emulator.clock import ScaledClock

    if speed <= 0:
        raise click.BadParameter("must be positive", param_hint="--speed")
    parsed = [_parse_registration(spec) for spec in registrations]
    listener = _listen(host, port)
    directory = _state_dir(state_dir)
    app = create_app(directory, clock=ScaledClock(speed), required_token=token or None)
    for workflow_id, version, graph in parsed:
        removed = app.register_workflow(workflow_id, version, graph)
        gone = f" (removed unused version {', '.join(removed)}: RunComfy keeps three)" if removed else ""
        output.echo(f"registered workflow {workflow_id} version {version}{gone}")
    if no_rate_limit:
        app.configure(rate_limit_enabled=False)
    if noise is not None:
        app.configure(noise=noise)
    url = f"http://{host}:{port}"
    shown_noise = app.state.config().get("noise", 0.0)
    output.echo(f"RunComfy emulator listening on {url} (state: {directory}, speed x{speed:g}, noise {shown_noise:g})")
    output.echo("Point comfyops at it:")
    output.echo(f"  export RUNCOMFY_API_URL={url}")
    if token:
        source = "--token" if click.get_current_context().get_parameter_source("token") is ParameterSource.COMMANDLINE \
            else TOKEN_ENV
        output.echo(f"  export RUNCOMFY_API_TOKEN=...   # it requires the Bearer token given with {source}")
    else:
        output.echo("  export RUNCOMFY_API_TOKEN=anything   # it accepts any Bearer token")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    try:
        server.run(sockets=[listener])
    finally:
        listener.close()


@command.command()
@STATE_OPTION
def reset(state_dir: Path | None) -> None:
    """Forget every deployment, workflow, request, setting and fault in the emulator's state."""
    from reconciler.emulator.state import CorruptState, EmulatorState

    directory = _state_dir(state_dir)
    if not (directory / "state.json").exists():
        output.echo(f"nothing to clear in {directory}")
        return
    try:
        cleared = EmulatorState(directory).reset()
    except CorruptState:
        (directory / "state.json").unlink()
        output.echo(f"removed the unreadable state in {directory}; the emulator starts empty")
        return
    output.echo(
        f"cleared {cleared['deployments']} deployment(s), {cleared['workflow_versions']} workflow version(s) "
        f"and {cleared['requests']} request(s) from {directory}"
    )
