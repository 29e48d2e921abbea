"""The request history as commands use it: which API a request went to, the store, the journal.

Effectful shell. Requests are labelled with the API they went to (``emulator``, or the API's host
and port), so that requests sent to the emulator are never refreshed against RunComfy, and the
reverse.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from reconciler.catalog import DEFAULT_API_URL
from reconciler.history.entry import Entry
from reconciler.history.journal import HistoryJournal
from reconciler.history.store import HistoryStore
from reconciler.runcomfy import errors
from reconciler.runcomfy.client import RunComfyClient
from reconciler.session.session import Session

EMULATOR_LABEL = "emulator"


def api_label(app: Session) -> str:
    """The label of the API this command talks to: ``emulator``, or ``host`` / ``host:port``."""
    if app.emulator:
        return EMULATOR_LABEL
    try:
        url = httpx.URL(app.api_url or DEFAULT_API_URL)
    except httpx.InvalidURL:
        return "unknown"
    host = url.host or "unknown"
    return f"{host}:{url.port}" if url.port else host


def store() -> HistoryStore:
    """The history of the working directory (``COMFYOPS_HISTORY`` overrides where it is)."""
    return HistoryStore()


def journal(app: Session, source: str) -> HistoryJournal:
    """A journal recording this command's requests (``source``: smoke or run); write failures warn once."""
    def warn(message: str) -> None:
        app.out.note(f"warning: {message}")

    return HistoryJournal(store(), api=api_label(app), source=source, warn=warn)


def refresh_entries(client: RunComfyClient, history: HistoryStore, entries: list[Entry],
                    problems: dict[str, str]) -> list[Entry]:
    """Entries re-read from the API where they may still change; the history gets the new states."""
    out: list[Entry] = []
    for entry in entries:
        if entry.is_terminal and entry.outcome is not None:
            out.append(entry)
            continue
        try:
            status = client.request_status(entry.deployment_id, entry.request_id)
            outcome = None
            if status.status == "completed":
                outcome = client.request_result(entry.deployment_id, entry.request_id).status
        except errors.ApiError as error:
            problems[entry.request_id] = error.summary
            out.append(entry)
            continue
        updated = entry.observed(datetime.now(UTC), status=status.status, outcome=outcome,
                                 instance_id=status.instance_id)
        history.write(updated)
        out.append(updated)
    return out
