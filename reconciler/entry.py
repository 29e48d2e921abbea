"""The ``comfyops`` console script: Ctrl-C is handled from the first import on.

Effectful shell. Importing the command line (click, pydantic, httpx) takes a noticeable moment; a
Ctrl-C in it must print ``interrupted`` and exit 130 like one at any later moment, never a traceback.
"""

from __future__ import annotations

import sys

VERSION_LINE = "comfyops, version {version}"
"""What ``comfyops --version`` prints (click's ``version_option`` words it the same way)."""


def main() -> None:
    """Install the Ctrl-C handler, import the command line, and run it.

    ``comfyops --version`` alone is answered before anything is imported: a script that checks the
    version pays the interpreter's start-up and nothing else.
    """
    if sys.argv[1:] == ["--version"]:
        from reconciler import __version__

        sys.stdout.write(VERSION_LINE.format(version=__version__) + "\n")
        return
    try:
        from reconciler import interrupts

        interrupts.install()
        from reconciler.cli import main as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.stderr.flush()
        raise SystemExit(130) from None
    try:
        run_cli()
    finally:
        interrupts.exit_on_interrupt()  # a Ctrl-C while the interpreter shuts down exits quietly too


if __name__ == "__main__":
    main()
