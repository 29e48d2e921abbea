"""Recording requests as they happen: what smoke and run call when a request starts, changes, ends.

Effectful (through :class:`~reconciler.history.store.HistoryStore`). A request is written the
moment it is submitted, so a command killed while waiting still leaves the request id behind for
``comfyops request cancel``. Only ids, states and times are taken: the method signatures have no
room for anything else. Recording is best effort: when the file cannot be written, ``warn`` hears
it once and the command carries on (a history is never a reason to fail a smoke test or a run).
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.errors import ReconcilerError
from reconciler.history.entry import Entry, iso
from reconciler.history.store import HistoryStore


class HistoryJournal:
    """Writes the requests of one command (``source``: smoke or run) against one API to the history."""

    def __init__(self, store: HistoryStore, *, api: str, source: str,
                 warn: Callable[[str], None] | None = None) -> None:
        """Record into ``store``; ``api`` labels the API the requests go to (``emulator`` or a host)."""
        self.store = store
        self.api = api
        self.source = source
        self.warn = warn
        self._broken = False
        self._known: dict[str, Entry] = {}  # what this journal wrote: no file read to update it

    def _write(self, entry: Entry) -> None:
        if self._broken:
            return
        try:
            self.store.write(entry)
            self._known[entry.request_id] = entry
        except ReconcilerError as error:
            self._broken = True
            if self.warn is not None:
                self.warn(f"request history not recorded: {error.summary}")

    def submitted(self, *, deployment: str, deployment_id: str, request_id: str) -> None:
        """A request was accepted by the API."""
        now = iso(self.store.clock())
        self._write(Entry(request_id=request_id, deployment_id=deployment_id, deployment=deployment,
                          source=self.source, api=self.api, submitted_at=now, updated_at=now))

    def observed(self, request_id: str, *, status: str | None = None, outcome: str | None = None,
                 instance_id: str | None = None) -> None:
        """A request's state was seen (any of the three may be None: unknown). Unknown requests are ignored."""
        if self._broken:
            return
        known = self._known.get(request_id)
        if known is None:
            try:
                known = self.store.find(request_id)
            except ReconcilerError:
                known = None
        if known is None:
            return
        updated = known.observed(self.store.clock(), status=status, outcome=outcome, instance_id=instance_id)
        if updated != known:
            self._write(updated)

    def finished(self, *, request_id: str, outcome: str | None, instance_id: str | None) -> None:
        """A command is done with a request: its result status (if it got one) and instance."""
        self.observed(request_id, outcome=outcome, instance_id=instance_id)
