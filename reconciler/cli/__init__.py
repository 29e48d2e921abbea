"""The ``comfyops`` command line: global options, the command group, and the exit-code contract.

Effectful shell. Each command lives in its own module under ``reconciler.cli`` and is a few lines:
parse options, build one Session, call one use case (:mod:`reconciler.session`), render through
the command's one output object (:mod:`reconciler.cli.output`), set the exit code. The mapping from
outcomes to exit codes lives here, in :func:`main`, and nowhere else:

=====  ===========================================================
0      success, or no changes
1      an expected error (bad manifests, API refused, a change failed)
2      changes present (``plan --detailed-exitcode``) or drift found
3      an unexpected error (a bug): a one-line hint, traceback only with ``-v``
130    interrupted (Ctrl-C)
=====  ===========================================================
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
import traceback
from pathlib import Path
from typing import IO, Any, cast

import click

from reconciler import __version__, workspace
from reconciler.cli.output import CURRENT_STDERR, Output, output_of
from reconciler.errors import ReconcilerError
from reconciler.render import safe
from reconciler.session.session import EmbeddedApi, Session

COMMAND_MODULES = (
    "validate",
    "fmt",
    "schema",
    "plan",
    "show",
    "apply",
    "run",
    "smoke",
    "emulator",
    "policy",
    "drift", "reconcile", "import_", "status",
    "history", "queue", "proxy", "free",
    "github",
    "snapshot",
)
"""Modules under ``reconciler.cli`` that each define one click command (or group) named ``command``.

A module's command is named after it (``import_`` -> ``import``, ``foo_bar`` -> ``foo-bar``), except the
two whose command names differ by one letter (:data:`NAMED_OTHERWISE`), and is imported only when that
command runs or ``--help`` lists them, so ``comfyops validate`` never pays for httpx, deepdiff or the
emulator."""

NAMED_OTHERWISE = {"history": "requests", "queue": "request"}
"""``requests`` lists the local request history; ``request`` calls one request's queue endpoints."""


def command_name(module: str) -> str:
    """The command a module under ``reconciler.cli`` defines (see :data:`COMMAND_MODULES`)."""
    return NAMED_OTHERWISE.get(module) or module.rstrip("_").replace("_", "-")


class LazyGroup(click.Group):
    """A click group that imports a command's module the first time the command is asked for."""

    def __init__(self, *args: Any, modules: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._modules = {command_name(m): m for m in modules}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, without importing any command module."""
        return sorted({*super().list_commands(ctx), *self._modules})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command named ``cmd_name``, importing its module on first use."""
        if cmd_name not in self.commands and cmd_name in self._modules:
            module = importlib.import_module(f"reconciler.cli.{self._modules[cmd_name]}")
            self.add_command(module.command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    modules=COMMAND_MODULES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="comfyops")
@click.option(
    "--api-url",
    envvar="RUNCOMFY_API_URL",
    default=None,
    metavar="URL",
    help="RunComfy API base URL (env RUNCOMFY_API_URL; default https://api.runcomfy.net).",
)
@click.option(
    "--emulator",
    is_flag=True,
    envvar="COMFYOPS_EMULATOR",
    help="Use the embedded RunComfy emulator (state in .comfyops/emulator/ or COMFYOPS_EMULATOR_STATE).",
)
@click.option("--no-color", is_flag=True, help="Never colour output (NO_COLOR is honoured too).")
@click.option("-v", "--verbose", count=True, help="Log API calls and retries to stderr; -vv for more.")
@click.pass_context
def cli(ctx: click.Context, api_url: str | None, emulator: bool, no_color: bool, verbose: int) -> None:
    """Declare RunComfy Serverless deployments in git; plan, apply, smoke-test and watch for drift.

    \b
    Examples:
      comfyops validate -f examples
      comfyops --emulator plan -f examples --env staging
      comfyops --emulator apply -f examples --env staging --auto-approve
    """
    _configure_logging(verbose)
    if ctx.obj is None:
        ctx.obj = Session(out=Output(), start_emulator=embedded_emulator)
    app: Session = ctx.obj
    app.api_url, app.emulator, app.no_color, app.verbose = api_url, emulator, no_color, verbose
    from_env = ctx.get_parameter_source("api_url") is click.core.ParameterSource.ENVIRONMENT
    app.api_url_source = "from RUNCOMFY_API_URL" if from_env else "from --api-url"
    ctx.call_on_close(app.close)


def embedded_emulator(state: Path, read_only: bool) -> EmbeddedApi:
    """The embedded emulator over ``state`` for ``--emulator`` (imported only when a command connects)."""
    from reconciler.emulator.embedded import EmbeddedEmulator

    return EmbeddedEmulator(state, read_only=read_only)


class _SafeFormatter(logging.Formatter):
    """Log lines quote API messages and names: shown escaped (``render.safe``), never acted on by the terminal."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return safe.terminal(super().formatMessage(record))


def _configure_logging(verbose: int) -> None:
    """-v shows API calls and retries, -vv everything of ours; httpx's own log stays quiet (it prints
    full URLs, query strings included, and signed output URLs are credentials)."""
    for noisy in ("httpx", "httpcore", "uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if verbose == 0:
        from reconciler.cli import quiet

        quiet.install()
        return
    ours = logging.getLogger("reconciler")
    ours.propagate = True
    ours.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    if not any(getattr(h, "comfyops", False) for h in ours.handlers):
        handler = logging.StreamHandler(CURRENT_STDERR)
        handler.setFormatter(_SafeFormatter("%(levelname)s %(name)s: %(message)s"))
        handler.comfyops = True  # type: ignore[attr-defined]
        ours.addHandler(handler)


GC_THRESHOLDS = (50_000, 50, 100)
"""The cyclic garbage collector's thresholds for a command's run (Python's defaults are 700, 10, 10).

A command builds many small, long-lived objects (positions of every YAML value, models, the live
list) and frees little until it exits; with the defaults, full collections re-scan them over and
over (1.0 s of a 2.8 s plan over 5,000 deployments)."""


def _tune_gc() -> None:
    """Take what is imported out of the collector's view and collect less often (see GC_THRESHOLDS)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


GLOBAL_OPTIONS = {"--api-url": True, "--emulator": False, "--no-color": False, "-v": False, "--verbose": False}
"""The group's own options, and whether each takes a value: they go before the command."""


def moved_globals_hint(option: str, args: list[str]) -> str:
    """For a global option given after the command: the same command line with it moved before the command."""
    name = option.split("=", 1)[0]
    if name not in GLOBAL_OPTIONS:
        return ""
    index = next((i for i, a in enumerate(args) if a == option or a.startswith(f"{name}=")), None)
    moved: list[str] = []
    rest = list(args)
    if index is not None:
        takes_value = GLOBAL_OPTIONS[name] and "=" not in rest[index]
        moved = rest[index : index + (2 if takes_value else 1)]
        del rest[index : index + len(moved)]
    commands = {command_name(m) for m in COMMAND_MODULES}
    command_at = next((i for i, a in enumerate(rest) if a in commands), None)
    if command_at is None or not moved:
        return f"{name} is a global option and goes before the command"
    fixed = [*rest[:command_at], *moved, *rest[command_at:]]
    return f"{name} is a global option and goes before the command: comfyops {' '.join(fixed)}"


def main(argv: list[str] | None = None) -> None:
    """Run the command line and exit with the documented exit code."""
    _tune_gc()
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    app = Session(out=Output(), argv=tuple(args), start_emulator=embedded_emulator)
    try:
        _run(app, args, verbose)
    finally:
        from reconciler.cli import quiet

        line = quiet.summary_line()
        if line:
            output_of(app).note(line)


def _run(app: Session, args: list[str], verbose: bool) -> None:
    """Run the command line for ``main``; exits with the documented exit code."""
    out = output_of(app)
    try:
        code = cli.main(args=args, prog_name="comfyops", standalone_mode=False, obj=app)
    except click.exceptions.Abort:
        out.error("interrupted")
        sys.exit(130)
    except KeyboardInterrupt:
        out.error("interrupted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show(file=cast(IO[Any], out.stderr))
        if isinstance(exc, click.NoSuchOption):
            hint = moved_globals_hint(exc.option_name, args)
            if hint:
                out.note(f"hint: {hint}")
        sys.exit(1 if exc.exit_code == 2 else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ReconcilerError as exc:
        from reconciler.cli.followups import complete

        out.error(complete(exc.summary, app), complete(exc.detail, app))
        sys.exit(exc.exit_code)
    except workspace.UnsafePath as exc:  # a write refused because a link (or a FIFO) is at its path
        out.error(str(exc))
        sys.exit(1)
    except Exception as exc:  # a bug: say so in one line, never a traceback unless asked
        if verbose:
            traceback.print_exc(file=out.stderr)
        out.error(
            f"unexpected error: {type(exc).__name__}: {exc}",
            "this is a bug in comfyops; re-run with -v for the traceback and report it",
        )
        sys.exit(3)
    if code == 130:  # a command that stopped on Ctrl-C and reported what it did
        out.error("interrupted")
    sys.exit(code if isinstance(code, int) else 0)
