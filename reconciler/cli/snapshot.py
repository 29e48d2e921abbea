"""``comfyops snapshot --out FILE``: save live state for a later ``plan --live-snapshot FILE`` with no token.

Effectful shell. A trusted job (one that holds the RunComfy token and runs only reviewed code: the
drift cron, the plan job after a merge, the apply job) reads the account once, exactly as plan does
(``GET /prod/v2/deployments`` with the workflow payloads), and writes it with secrets scrubbed, its
time, API URL and a checksum (:mod:`reconciler.engine.snapshot`). A pull-request job downloads the file
and plans against it without any RunComfy credential. :func:`read_snapshot` is the reading side,
with the age limit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler import workspace
from reconciler.cli import output
from reconciler.cli.manifests import files_option, load_desired
from reconciler.engine import snapshot
from reconciler.engine.plan import SnapshotSource
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState, secret_strings
from reconciler.session import applylock
from reconciler.session.planning import connect
from reconciler.session.session import Session, display_api_url

DEFAULT_MAX_AGE = "26h"
"""A day (the drift template writes a snapshot every morning) plus two hours for a scheduled run's delay."""
FUTURE_SKEW_SECONDS = 300
"""A snapshot stamped more than this far in the future is refused: a clock is wrong, so its age is unknown."""


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
    desired = load_desired(files)
    client = connect(app, desired, read_only=True)
    deployments = client.list_deployments(include_payload=True)
    api_url = display_api_url(str(client.http.base_url))  # never userinfo or a query
    text = snapshot.encode(
        (d.model_dump(mode="json") for d in deployments),
        endpoint=app.endpoint,
        api_url=api_url if not app.emulator else "emulator",
        taken_at=datetime.now(UTC),
        environment=desired.environment_name,
        secrets=secret_strings(desired),
    )
    workspace.write_text(out, text)
    taken = snapshot.decode(text)
    where = f" ({desired.environment_name})" if desired.environment_name else ""
    output.echo(
        f"Wrote a snapshot of {len(deployments)} deployment{'s' if len(deployments) != 1 else ''}{where} "
        f"from {app.endpoint} to {out} ({taken.checksum[:19]})",
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


def read_snapshot(path: Path, desired: DesiredState, max_age: str, *, now: datetime | None = None) -> snapshot.Snapshot:
    """The checked snapshot at ``path`` for ``desired``'s environment; refused when edited, foreign or too old."""
    try:
        limit = applylock.parse_duration(max_age)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-snapshot-age") from None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReconcilerError(
            f"{path}: no such snapshot file",
            "download the newest snapshot first (`comfyops github download`), or write one with `comfyops snapshot`",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReconcilerError(f"{path}: cannot read the snapshot: {exc}") from None
    try:
        taken = snapshot.decode(text)
    except snapshot.SnapshotError as exc:
        raise ReconcilerError(f"{path}: {exc}", exc.hint) from None
    if taken.environment != desired.environment_name:
        raise ReconcilerError(
            f"{path}: the snapshot is of environment {taken.environment!r}, not {desired.environment_name!r}",
            "download the snapshot of the environment you plan (e.g. comfyops-snapshot-<env>)",
        )
    now = now or datetime.now(UTC)
    if (taken.taken_at - now).total_seconds() > FUTURE_SKEW_SECONDS:
        raise ReconcilerError(
            f"{path}: the snapshot was taken at {taken.taken_at.isoformat()}, in the future; a clock is wrong",
            "write a new snapshot",
        )
    age = taken.age_seconds(now)
    if age > limit:
        raise ReconcilerError(
            f"{path}: the snapshot is {snapshot.format_age(age)} old, older than --max-snapshot-age {max_age}",
            "write a newer one (`comfyops snapshot --out FILE` in the drift or apply workflow), "
            "or raise --max-snapshot-age",
        )
    return taken


def source_of(taken: snapshot.Snapshot, now: datetime | None = None) -> SnapshotSource:
    """What a plan records about the snapshot it was made from."""
    return SnapshotSource(
        endpoint=taken.endpoint,
        taken_at=taken.taken_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        age_seconds=taken.age_seconds(now or datetime.now(UTC)),
        checksum=taken.checksum,
    )
