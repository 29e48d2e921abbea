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
    version pays the interpreter's start-up and nothing else. A ``validate`` whose inputs have not
    changed since a saved run is replayed from the result cache (:mod:`reconciler.resultcache`) before
    the command line is imported; any other one runs under its recorder and is saved.
    """
    args = sys.argv[1:]
    if args == ["--version"]:
        from reconciler import __version__

        sys.stdout.write(VERSION_LINE.format(version=__version__) + "\n")
        return
    key = None
    try:
        from reconciler import interrupts

        interrupts.install()
        from reconciler.resultcache.key import cacheable, primary_key

        if cacheable(args):
            from reconciler.resultcache import entries

            code = None
            try:
                key = primary_key(args)
                code = entries.replay(key)
            except Exception:  # any doubt about the cache (even a bug in it) means a full run without it
                key = None
            if code is not None:
                raise SystemExit(code)
        from reconciler.cli import main as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.stderr.flush()
        raise SystemExit(130) from None
    try:
        if key is None:
            run_cli()
        else:
            entries.run_and_save(key, run_cli)
    finally:
        interrupts.exit_on_interrupt()  # a Ctrl-C while the interpreter shuts down exits quietly too


if __name__ == "__main__":
    main()
