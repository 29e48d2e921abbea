"""Where the smoke runner reports the requests it submits, for the local request history.

The runner calls a :class:`Journal` when a request is accepted and when it is done with it; the CLI
passes one backed by :mod:`reconciler.history`, tests pass their own. Only ids, states and times
cross this boundary.
"""

from __future__ import annotations

from typing import Protocol


class Journal(Protocol):
    """Receives each smoke request's id when submitted, and its outcome and instance when done."""

    def submitted(self, *, deployment: str, deployment_id: str, request_id: str) -> None:
        """A request was accepted by the API."""

    def finished(self, *, request_id: str, outcome: str | None, instance_id: str | None) -> None:
        """The runner is done with a request: its result status (None if never read) and instance."""


class NullJournal:
    """A journal that records nothing."""

    def submitted(self, *, deployment: str, deployment_id: str, request_id: str) -> None:
        """Record nothing."""

    def finished(self, *, request_id: str, outcome: str | None, instance_id: str | None) -> None:
        """Record nothing."""
