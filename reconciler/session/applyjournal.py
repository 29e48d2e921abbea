"""The apply journal: what an ``apply --smoke`` started, so a change it made is never left applied and untested.

Effectful (one file, :func:`reconciler.workspace.apply_journal`, written through the workspace's safe
writes). Before each step, ``apply --smoke`` records it: the plan and options when it starts, each
change's name before its first API call, each change's outcome after it, then the phase (smoking,
rolling back). When the job is complete (smoke tests done, rollbacks done) its entry is removed, and
the file with the last entry. A process killed in between (SIGKILL, a lost CI runner) leaves its entry
behind, and the next ``apply`` or ``smoke`` against the same target finishes the job
(:func:`reconciler.session.apply.finish_interrupted`).

Each entry names its target (the API URL or emulator, and the environment): an entry from another
target is left alone, never finished against this one. The plan in an entry holds no secrets (a Plan
never does). The file is read like every other input: a regular file only, size-limited; one that
cannot be read as a journal is an error (fail closed), never ignored.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from reconciler import readfile, workspace
from reconciler.engine.plan import Action, Plan, ResourceChange
from reconciler.engine.planfile import endpoints_differ
from reconciler.engine.report import ApplyReport, ChangeOutcome, Outcome
from reconciler.errors import ReconcilerError

FORMAT_VERSION: Final[int] = 1
LIMIT: Final[int] = 16 * readfile.MIB
"""Largest journal read (bytes): a journal holds a plan, which is bounded by the manifests."""
APPLYING, SMOKING, ROLLING_BACK = "applying", "smoking", "rolling back"


@dataclass(frozen=True)
class Entry:
    """One apply with ``--smoke`` in progress (or interrupted): its target, options, plan and progress."""

    started: str
    endpoint: str
    environment: str | None
    rollback: bool
    """Whether every failed deployment is rolled back (``--rollback-on-smoke-failure``)."""
    plan: dict[str, Any]
    pid: int = 0
    host: str = ""
    phase: str = APPLYING
    begun: tuple[str, ...] = ()
    """Changes whose first API call was made (the change may be live even with no outcome recorded)."""
    outcomes: tuple[dict[str, Any], ...] = field(default=())
    smoke_all: bool = True
    """Whether every change is smoke-tested (``--smoke``), or only the rollouts' (``owners``)."""
    owners: tuple[str, ...] = ()
    """Deployments switched by a rollout: always smoke-tested, and rolled back when that fails."""

    def to_json(self) -> dict[str, Any]:
        """The entry as the journal file holds it."""
        return {"started": self.started, "endpoint": self.endpoint, "environment": self.environment,
                "rollback": self.rollback, "plan": self.plan, "pid": self.pid, "host": self.host,
                "phase": self.phase, "begun": list(self.begun), "outcomes": list(self.outcomes),
                "smoke_all": self.smoke_all, "owners": list(self.owners)}

    def targets(self, endpoint: str, environment: str | None) -> bool:
        """Whether this entry was started against ``endpoint`` and ``environment`` (so may be finished there)."""
        return self.environment == environment and not endpoints_differ(self.endpoint, endpoint)

    def describe(self) -> str:
        """Who started it and when: ``started 2026-12-06T02:30:00Z by pid 4242 on ci-1``."""
        return f"started {self.started} by pid {self.pid or '?'} on {self.host or '?'}"

    def unfinished(self) -> ApplyReport:
        """What the interrupted apply did, as far as recorded: the applied changes, and each begun change with
        no outcome as applied (it may be live: it is smoke-tested, and rolled back if asked, like the others)."""
        outcomes = [ChangeOutcome.model_validate(o) for o in self.outcomes]
        done = {o.name for o in outcomes}
        changes = {c.name: c for c in self.parsed_plan().changes}
        for name in self.begun:
            change = changes.get(name)
            if name not in done and change is not None:
                outcomes.append(ChangeOutcome(name=name, action=change.action, outcome=Outcome.APPLIED, id=change.id,
                                              message="interrupted: the change may or may not be live"))
        return ApplyReport(changes=outcomes, environment=self.environment, interrupted=False)

    def parsed_plan(self) -> Plan:
        """The plan the interrupted apply executed."""
        return Plan.from_dict(self.plan)


def _entry(data: Any) -> Entry:
    if not isinstance(data, dict):
        raise ValueError("an entry is not an object")
    entry = Entry(
        started=str(data["started"]), endpoint=str(data["endpoint"]),
        environment=None if data.get("environment") is None else str(data["environment"]),
        rollback=bool(data["rollback"] is True), plan=dict(data["plan"]), pid=int(data.get("pid") or 0),
        host=str(data.get("host") or ""), phase=str(data.get("phase") or APPLYING),
        begun=tuple(str(n) for n in data.get("begun") or ()),
        outcomes=tuple(dict(o) for o in data.get("outcomes") or ()),
        smoke_all=data.get("smoke_all", True) is True, owners=tuple(str(n) for n in data.get("owners") or ()),
    )
    entry.parsed_plan()
    entry.unfinished()
    return entry


def read(path: Path) -> list[Entry]:
    """Every entry of the journal at ``path`` (none when there is no journal); a damaged one is an error."""
    if not readfile.is_present(path):
        return []
    hint = (f"it records an apply that was interrupted; check the deployments it names, then remove {path} "
            "to go on")
    try:
        data = readfile.parse_json(readfile.read_text(path, limit=LIMIT))
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"not a version {FORMAT_VERSION} apply journal")
        return [_entry(item) for item in data.get("entries", [])]
    except readfile.FileProblem as exc:
        raise ReconcilerError(f"cannot read the apply journal {path}: {exc.message}", hint) from None
    except (ValueError, KeyError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReconcilerError(f"cannot read the apply journal {path}: {message}", hint) from None


def _write(path: Path, entries: list[Entry]) -> None:
    if entries:
        text = json.dumps({"format_version": FORMAT_VERSION, "entries": [e.to_json() for e in entries]},
                          indent=1, sort_keys=True)
        workspace.write_text(path, text + "\n", inside=path.parent.parent)  # .comfyops/ itself no link either
    else:
        workspace.remove(path)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Recorder:
    """Records one apply's steps in the journal before each is taken (also the executor's progress hooks)."""

    def __init__(self, path: Path, entry: Entry) -> None:
        self.path = path
        self.entry = entry

    @classmethod
    def begin(cls, path: Path, plan: Plan, *, endpoint: str, environment: str | None, rollback: bool,
              smoke_all: bool = True, owners: tuple[str, ...] = ()) -> Recorder:
        """Record that an apply of ``plan`` against ``endpoint`` starts (before its first change)."""
        entry = Entry(started=_now(), endpoint=endpoint, environment=environment, rollback=rollback,
                      plan=plan.to_dict(), pid=os.getpid(), host=socket.gethostname(), smoke_all=smoke_all,
                      owners=owners)
        recorder = cls(path, entry)
        recorder._save()
        return recorder

    def _save(self) -> None:
        others = [e for e in read(self.path) if not e.targets(self.entry.endpoint, self.entry.environment)]
        _write(self.path, [*others, self.entry])

    def before_change(self, change: ResourceChange) -> None:
        """Record that ``change`` is about to make its first API call."""
        if change.action is not Action.DELETE:
            self.entry = replace(self.entry, begun=(*self.entry.begun, change.name))
            self._save()

    def after_change(self, outcome: ChangeOutcome) -> None:
        """Record how ``outcome``'s change ended."""
        if outcome.action is not Action.DELETE:
            self.entry = replace(self.entry, outcomes=(*self.entry.outcomes, outcome.model_dump(mode="json")))
            self._save()

    def phase(self, phase: str) -> None:
        """Record that the apply moves on to ``phase`` (smoking, rolling back)."""
        self.entry = replace(self.entry, phase=phase)
        self._save()

    def done(self) -> None:
        """The job is complete: remove its entry (and the journal with its last entry)."""
        clear(self.path, self.entry)


def clear(path: Path, entry: Entry) -> None:
    """Remove ``entry``'s target from the journal at ``path``."""
    _write(path, [e for e in read(path) if not e.targets(entry.endpoint, entry.environment)])


def pending(path: Path, endpoint: str, environment: str | None) -> tuple[Entry | None, list[Entry]]:
    """The journal's entry for this target (None when there is none), and the entries for other targets."""
    entries = read(path)
    mine = [e for e in entries if e.targets(endpoint, environment)]
    return (mine[-1] if mine else None), [e for e in entries if not e.targets(endpoint, environment)]
