"""Run the hostile-input corpus in this process, under a memory limit, and print one JSON result per case.

Started by ``test_corpus.py`` as a child process (``python runner.py MEMORY_BYTES [CASE ...]``) so that
the ``resource.setrlimit`` address-space limit applies to it alone: a regression that expands an alias
bomb fails with a MemoryError there instead of swapping the machine. Each case runs in a fresh
folder, through the real command line (``reconciler.cli.main``), with a SIGALRM backstop so that a
hang is reported as one case's failure.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

ALARM_SECONDS = 60


class Hung(Exception):
    """The case did not finish within ALARM_SECONDS."""


def _alarm(signum: int, frame: object) -> None:
    raise Hung()


def main() -> None:
    limit = int(sys.argv[1])
    wanted = set(sys.argv[2:])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.path.insert(0, str(Path(__file__).parent))
    from corpus import CASES, EMULATOR_STATE

    from reconciler.cli import main as cli_main

    signal.signal(signal.SIGALRM, _alarm)
    for case in CASES:
        if wanted and case.name not in wanted:
            continue
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            os.environ["COMFYOPS_EMULATOR_STATE"] = str(root / EMULATOR_STATE)
            case.build(root)
            os.chdir(root)
            out, err = io.StringIO(), io.StringIO()
            code: object = None
            start = time.monotonic()
            signal.alarm(ALARM_SECONDS)
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    cli_main(list(case.args))
            except SystemExit as exc:
                code = exc.code
            except Hung:
                code = "hung"
            except BaseException as exc:  # a crash of the harness itself, reported as the case's outcome
                code = f"raised {type(exc).__name__}: {exc}"
            finally:
                signal.alarm(0)
            seconds = time.monotonic() - start
            wrong = case.after(root) if case.after is not None else None
            if wrong:
                code = f"after the run: {wrong}"
            os.chdir("/")
        print(
            json.dumps(
                {"name": case.name, "code": code, "seconds": seconds, "err": err.getvalue(), "out": out.getvalue()}
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
