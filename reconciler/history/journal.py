"""Recording requests as they happen: what smoke and run call when a request starts, changes, ends.

Effectful (through :class:`~reconciler.history.store.HistoryStore`). A request is written the
moment it is submitted, so a command killed while waiting still leaves the request id behind for
``comfyops request cancel``. Only ids, states and times are taken: the method signatures have no
room for anything else.
"""

from __future__ import annotations

from reconciler.history.entry import Entry, iso
from reconciler.history.store import HistoryStore


class HistoryJournal:
    """Writes the requests of one command (``source``: smoke or run) against one API to the history."""

    def __init__(self, store: HistoryStore, *, api: str, source: str) -> None:
        """Record into ``store``; ``api`` labels the API the requests go to (``emulator`` or a host)."""
        self.store = store
        self.api = api
        self.source = source

    def submitted(self, *, deployment: str, deployment_id: str, request_id: str) -> None:
        """A request was accepted by the API."""
        now = iso(self.store.clock())
        self.store.write(Entry(request_id=request_id, deployment_id=deployment_id, deployment=deployment,
                               source=self.source, api=self.api, submitted_at=now, updated_at=now))

    def observed(self, request_id: str, *, status: str | None = None, outcome: str | None = None,
                 instance_id: str | None = None) -> None:
        """A request's state was seen (any of the three may be None: unknown). Unknown requests are ignored."""
        known = self.store.find(request_id)
        if known is None:
            return
        updated = known.observed(self.store.clock(), status=status, outcome=outcome, instance_id=instance_id)
        if updated != known:
            self.store.write(updated)

    def finished(self, *, request_id: str, outcome: str | None, instance_id: str | None) -> None:
        """A command is done with a request: its result status (if it got one) and instance."""
        self.observed(request_id, outcome=outcome, instance_id=instance_id)
