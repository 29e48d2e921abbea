"""The one masker: every secret value that could reach an output is replaced here, and only here.

Pure. A secret is a value ComfyOps must never show: interpolated sensitive variables, sensitive fields'
values, the API token, signed URLs' credentials. Secrets are replaced longest first, so a secret that
contains another is masked whole (masking the shorter first would leave the rest of the longer one).

Two replacement tokens are visible in today's outputs, and each output keeps its own:
:data:`SENSITIVE` (``(sensitive value)``, OpenTofu's word) in everything rendered from manifests and
plans, and :data:`REDACTED` (``***``) inside error messages that came back from a remote (RunComfy's and
GitHub's API errors), where a token can be echoed mid-sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

SENSITIVE: Final[str] = "(sensitive value)"
"""What a secret is shown as in plans, reports, diagnostics and every command's output."""
REDACTED: Final[str] = "***"
"""What a secret is shown as inside an API error message (RunComfy or GitHub)."""


def longest_first(secrets: Iterable[str]) -> tuple[str, ...]:
    """The non-empty ``secrets``, each once, longest first (the order every replacement must use)."""
    return tuple(sorted({s for s in secrets if s}, key=lambda s: (-len(s), s)))


def mask(text: str, secrets: Iterable[str], *, token: str = SENSITIVE) -> str:
    """``text`` with every secret replaced by ``token``, longest secret first."""
    for secret in longest_first(secrets):
        text = text.replace(secret, token)
    return text


def mask_cut(text: str, secrets: Iterable[str], *, min_prefix: int, token: str = SENSITIVE) -> str:
    """:func:`mask`, and also a secret's start cut short with an ellipsis (``abcdefgh…``), as messages
    shorten long values; starts shorter than ``min_prefix`` characters are left alone."""
    for secret in longest_first(secrets):
        text = text.replace(secret, token)
        if "…" in text:
            for end in range(len(secret) - 1, min_prefix - 1, -1):
                text = text.replace(secret[:end] + "…", token)
    return text


class Masker:
    """The secrets one command has learnt so far, and :func:`mask` with them; an output object owns one."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = {s for s in secrets if s}

    def learn(self, secrets: Iterable[str]) -> None:
        """Add ``secrets`` to what every later output is masked with."""
        self._secrets.update(s for s in secrets if s)

    @property
    def secrets(self) -> frozenset[str]:
        """Every secret learnt so far."""
        return frozenset(self._secrets)

    def mask(self, text: str) -> str:
        """``text`` with every secret learnt so far replaced by :data:`SENSITIVE`."""
        return mask(text, self._secrets) if self._secrets else text
