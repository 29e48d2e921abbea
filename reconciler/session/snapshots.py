"""The snapshot use cases: save live state for a later plan without a token, and read it back, checked.

Effectful (one list call; reads and writes the snapshot file). A trusted job (one that holds the RunComfy
token and runs only reviewed code: the drift cron, the plan job after a merge, the apply job) reads the
account once, exactly as plan does (``GET /prod/v2/deployments`` with the workflow payloads), and writes it
with secrets scrubbed, its time, API URL and a checksum (:mod:`reconciler.engine.snapshot`). A
pull-request job downloads the file and plans against it without any RunComfy credential (:func:`read`,
with the age limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler import readfile, workspace
from reconciler.engine import snapshot
from reconciler.engine.plan import SnapshotSource
from reconciler.errors import ReconcilerError
from reconciler.manifest.desired import DesiredState, secret_strings
from reconciler.session.planning import connect
from reconciler.session.session import Session, display_api_url

FUTURE_SKEW_SECONDS = 300
"""A snapshot stamped more than this far in the future is refused: a clock is wrong, so its age is unknown."""


@dataclass(frozen=True)
class Taken:
    """A snapshot written: how many deployments it holds, of which environment, from where, its checksum."""

    deployments: int
    environment: str | None
    endpoint: str
    checksum: str


def take(app: Session, desired: DesiredState, out: Path) -> Taken:
    """Read every deployment with its workflow payload (one list call) and write them to ``out``, with the
    secrets the manifests know scrubbed, the time, the API URL and a checksum."""
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
    return Taken(deployments=len(deployments), environment=desired.environment_name, endpoint=app.endpoint,
                 checksum=snapshot.decode(text).checksum)


def read(path: Path, desired: DesiredState, limit: float, max_age: str, *, now: datetime | None = None
         ) -> snapshot.Snapshot:
    """The checked snapshot at ``path`` for ``desired``'s environment; refused when edited, foreign, or older
    than ``limit`` seconds (``max_age``: the limit as the user typed it, for the error)."""
    try:
        text = readfile.read_text(path, limit=readfile.RECORD_LIMIT)
    except readfile.FileProblem as exc:
        if not exc.missing:
            raise ReconcilerError(f"{path}: cannot read the snapshot: {exc.message}") from None
        raise ReconcilerError(
            f"{path}: no such snapshot file",
            "download the newest snapshot first (`comfyops github download`), or write one with `comfyops snapshot`",
        ) from None
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
