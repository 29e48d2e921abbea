"""The ``comfyops`` command line: global options, the command group, and the exit-code contract.

Effectful shell. Each command lives in its own module under ``reconciler.cli`` and is a few lines:
parse options, call the core, render, set the exit code. The mapping from outcomes to exit codes
lives here, in :func:`main`, and nowhere else:

=====  ===========================================================
0      success, or no changes
1      an expected error (bad manifests, API refused, a change failed)
2      changes present (``plan --detailed-exitcode``) or drift found
3      an unexpected error (a bug): a one-line hint, traceback only with ``-v``
130    interrupted (Ctrl-C)
=====  ===========================================================
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback

import click

from reconciler import __version__
from reconciler.cli.context import AppContext
from reconciler.cli.output import print_error
from reconciler.errors import ReconcilerError

COMMAND_MODULES = (
    "validate",
    "schema",
    "plan",
    "show",
    "apply",
    "run",
    "smoke",
    "emulator",
    "policy",
)
"""Modules under ``reconciler.cli`` that each define one click command (or group) named ``command``."""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    ctx.obj = AppContext(api_url=api_url, emulator=emulator, no_color=no_color, verbose=verbose)
    ctx.call_on_close(ctx.obj.close)


def _configure_logging(verbose: int) -> None:
    """-v shows API calls and retries, -vv everything of ours; httpx's own log stays quiet (it prints
    full URLs, query strings included, and signed output URLs are credentials)."""
    for noisy in ("httpx", "httpcore", "uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if verbose == 0:
        return
    ours = logging.getLogger("reconciler")
    ours.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    if not any(getattr(h, "comfyops", False) for h in ours.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler.comfyops = True  # type: ignore[attr-defined]
        ours.addHandler(handler)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"reconciler.cli.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet in this checkout
            if exc.name == f"reconciler.cli.{name}":
                continue
            raise
        cli.add_command(module.command)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Run the command line and exit with the documented exit code."""
    verbose = "-v" in (argv or sys.argv) or "--verbose" in (argv or sys.argv)
    try:
        code = cli.main(args=argv, prog_name="comfyops", standalone_mode=False)
    except click.exceptions.Abort:
        print_error("interrupted")
        sys.exit(130)
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1 if exc.exit_code == 2 else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ReconcilerError as exc:
        print_error(exc.summary, exc.detail)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so in one line, never a traceback unless asked
        if verbose:
            traceback.print_exc()
        print_error(
            f"unexpected error: {type(exc).__name__}: {exc}",
            "this is a bug in comfyops; re-run with -v for the traceback and report it",
        )
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)
