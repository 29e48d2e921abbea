"""Sending messages with Apprise (Slack, Teams, Discord, e-mail, webhooks, ...) for ``Settings.notify``.

Effectful. Sending never blocks or fails the run: each send runs in a daemon thread joined for at most
``timeout_seconds`` (Apprise's own timeout is set too); a URL Apprise cannot use, a failed send or a timeout is
returned as a warning that names the URL's scheme and position only (a URL holds tokens). Every title and
body is scrubbed of the manifests' secret values before it leaves.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import apprise

from reconciler import secrets
from reconciler.engine.report import ApplyReport
from reconciler.manifest.model import NotifySettings
from reconciler.render.reconcile import apply_messages
from reconciler.smoke.report import SmokeReport

_APPRISE_LOG = logging.getLogger("apprise")
_APPRISE_LOG.propagate = False  # its messages can quote a service URL (a token): we report by scheme and position
_APPRISE_LOG.addHandler(logging.NullHandler())


@dataclass
class Notifier:
    """The configured URLs and events; :meth:`send` returns warnings instead of raising."""

    settings: NotifySettings
    secrets: frozenset[str] = frozenset()
    sent: list[str] = field(default_factory=list)
    """The events sent so far (for reports and tests)."""

    def wants(self, event: str) -> bool:
        """Whether ``event`` is configured and there is somewhere to send it."""
        return bool(self.settings.urls) and event in self.settings.events

    def send(self, event: str, title: str, body: str) -> list[str]:
        """Send one message for ``event`` to every URL at once, waiting at most ``timeout_seconds`` in all; the
        warnings for sends that did not succeed."""
        if not self.wants(event):
            return []
        title, body = secrets.mask(title, self.secrets), secrets.mask(body, self.secrets)
        timeout = self.settings.timeout_seconds
        sends = [_Send(url, title, body, timeout) for url in self.settings.urls]
        deadline = time.monotonic() + timeout
        for send in sends:
            send.thread.join(max(0.0, deadline - time.monotonic()))
        self.sent.append(event)
        return [f"notify: {event} to URL #{index} ({_scheme(send.url)}://): {send.problem(timeout)}"
                for index, send in enumerate(sends, start=1) if send.problem(timeout)]


class _Send:
    """One URL's send, running in a daemon thread so that a hung service never holds the run."""

    def __init__(self, url: str, title: str, body: str, timeout: float) -> None:
        self.url = url
        self.usable = True
        self.delivered: bool | None = None
        sender = apprise.Apprise()
        if not sender.add(url):
            self.usable = False
        self.thread = threading.Thread(
            target=self._run, args=(sender, title, body, timeout), name="comfyops-notify", daemon=True
        )
        if self.usable:
            self.thread.start()

    def _run(self, sender: apprise.Apprise, title: str, body: str, timeout: float) -> None:
        try:
            self.delivered = bool(sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT,
                                                timeout=timeout))
        except Exception:  # a notification plugin must never take the run down
            self.delivered = False

    def problem(self, timeout: float) -> str:
        """'' when delivered, else why not."""
        if not self.usable:
            return "Apprise cannot use this URL (unknown scheme or malformed)"
        if self.delivered is None:
            return f"no answer within {timeout:g}s; the run goes on"
        return "" if self.delivered else "the service refused or could not be reached"


def _scheme(url: str) -> str:
    return url.split("://", 1)[0] if "://" in url else "?"


def commit_of(folder: Path) -> str | None:
    """The commit being reconciled: ``git rev-parse HEAD`` in ``folder``, else ``$GITHUB_SHA``, else None."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    return os.environ.get("GITHUB_SHA") or None


def notify_apply(
    settings: NotifySettings, secrets: frozenset[str], folder: Path, *, environment: str | None,
    report: ApplyReport, smoke: SmokeReport | None,
) -> list[str]:
    """Send ``apply_failed`` / ``smoke_failed`` / ``rolled_back`` for an apply, as configured; the warnings."""
    notifier = Notifier(settings, secrets)
    messages = apply_messages(report, smoke, environment=environment, commit=None)
    if not any(notifier.wants(event) for event, _, _ in messages):
        return []
    commit = commit_of(folder)
    messages = apply_messages(report, smoke, environment=environment, commit=commit)
    return [w for event, title, body in messages for w in notifier.send(event, title, body)]
