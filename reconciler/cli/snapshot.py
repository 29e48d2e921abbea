"""``comfyops snapshot --out FILE``: save live state for a later ``plan --live-snapshot FILE`` with no token.

The use cases are :mod:`reconciler.session.snapshots`. A trusted job (one that holds the RunComfy token
and runs only reviewed code: the drift cron, the plan job after a merge, the apply job) reads the account
once, exactly as plan does (``GET /prod/v2/deployments`` with the workflow payloads), and writes it with
secrets scrubbed, its time, API URL and a checksum (:mod:`reconciler.engine.snapshot`). A pull-request
job downloads the file and plans against it without any RunComfy credential. :func:`read_snapshot` is
the reading side (``plan --live-snapshot``), with the age limit.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import output
from reconciler.cli.manifests import files_option, load_desired
from reconciler.engine import snapshot
from reconciler.manifest.desired import DesiredState
from reconciler.session import applylock, snapshots
from reconciler.session.session import Session

DEFAULT_MAX_AGE = "26h"
"""A day (the drift template writes a snapshot every morning) plus two hours for a scheduled run's delay."""


@click.command("snapshot")
@files_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the snapshot (JSON) for `plan --live-snapshot FILE`.",
)
@click.pass_obj
def command(app: Session, files: tuple[str, ...], out: Path) -> int:
    """Save live state (what plan reads) for planning later without a token.

    \b
    Reads every deployment with its workflow payload in one list call, scrubs the secrets the
    manifests know, and writes it with the time, the API URL and a checksum. Run it where the token
    is (after apply, in the drift cron); plan against it anywhere with `plan --live-snapshot FILE`.
    """
    taken = snapshots.take(app, load_desired(files), out)
    where = f" ({taken.environment})" if taken.environment else ""
    output.echo(
        f"Wrote a snapshot of {taken.deployments} deployment{'s' if taken.deployments != 1 else ''}{where} "
        f"from {taken.endpoint} to {out} ({taken.checksum[:19]})",
        err=True,
    )
    return 0


def max_age_option(func: click.decorators.FC) -> click.decorators.FC:
    """``--max-snapshot-age DURATION`` for commands that take ``--live-snapshot``."""
    return click.option(
        "--max-snapshot-age",
        "max_snapshot_age",
        default=DEFAULT_MAX_AGE,
        show_default=True,
        metavar="DURATION",
        help="With --live-snapshot: refuse a snapshot older than this (30m, 26h).",
    )(func)


def read_snapshot(path: Path, desired: DesiredState, max_age: str) -> snapshot.Snapshot:
    """The checked snapshot at ``path`` (:func:`reconciler.session.snapshots.read`), ``--max-snapshot-age``
    parsed."""
    try:
        limit = applylock.parse_duration(max_age)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-snapshot-age") from None
    return snapshots.read(path, desired, limit, max_age)
