"""Follow-up commands that work when pasted: the global options, ``-f`` and ``--env`` of the command
that printed them.

Pure. A hint such as ``comfyops plan --out FILE`` is only useful when pasting it reaches the same API
(``--emulator`` or ``--api-url``), reads the same manifests (``-f``) and picks the same environment
(``--env``) as the command that printed it. :class:`Invocation` holds those; :meth:`Invocation.command`
formats one follow-up, shell-quoted, and :func:`complete_mentions` completes every `` `comfyops ...` ``
quoted in a message written without that context (pure code such as the saved-plan checks).
Which follow-up commands take ``-f``/``--env`` is the caller's knowledge (the CLI's command tree),
passed in as ``options_of``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

GLOBAL_OPTIONS_WITH_VALUE = frozenset({"--api-url"})
GLOBAL_FLAGS = frozenset({"--emulator", "--no-color", "-v", "--verbose"})
MANIFEST_OPTIONS = frozenset({"-f", "--env"})

OptionsOf = Callable[[Sequence[str]], Collection[str]]
"""Given a follow-up's words after ``comfyops`` (``["plan", "--out", "FILE"]``), the options its command takes."""


def _every_option(_words: Sequence[str]) -> Collection[str]:
    return MANIFEST_OPTIONS


@dataclass(frozen=True)
class Invocation:
    """What a follow-up command must repeat of the command that prints it."""

    global_args: tuple[str, ...] = ()
    """``("--emulator",)`` or ``("--api-url", URL)`` (never with credentials), or nothing."""
    files: tuple[str, ...] = ()
    """The ``-f`` paths as typed (nothing: the default ``.``)."""
    environment: str | None = None
    """``--env`` (or ``COMFYOPS_ENV``), if one was chosen."""

    def with_manifests(self, files: Sequence[str], environment: str | None) -> Invocation:
        """The same API with other manifests (e.g. those a saved plan records)."""
        return replace(self, files=tuple(files), environment=environment)

    def command(self, *words: str, options: Collection[str] = MANIFEST_OPTIONS) -> str:
        """``comfyops <global options> WORDS [-f PATH]... [--env NAME]``, shell-quoted, ready to paste.

        ``-f`` and ``--env`` are added when the command takes them (``options``) and ``words`` lack them.
        """
        line = ["comfyops", *self.global_args, *words]
        if "-f" in options and not _has(words, "-f", "--file"):
            for path in self.files:
                line += ["-f", path]
        if "--env" in options and self.environment and not _has(words, "--env"):
            line += ["--env", self.environment]
        return shlex.join(line)


def _has(words: Sequence[str], *names: str) -> bool:
    return any(w in names or any(w.startswith(f"{n}=") for n in names if n.startswith("--")) for w in words)


def split_globals(words: list[str]) -> tuple[list[str], list[str]]:
    """``words`` after ``comfyops`` split into its leading global options and the rest (the command and its
    arguments)."""
    index = 0
    while index < len(words):
        word = words[index]
        if word in GLOBAL_FLAGS or any(word.startswith(f"{o}=") for o in GLOBAL_OPTIONS_WITH_VALUE):
            index += 1
        elif word in GLOBAL_OPTIONS_WITH_VALUE:
            index += 2
        else:
            break
    return words[:index], words[index:]


_QUOTED = re.compile(r"`comfyops((?: [^`]*)?)`")


def complete_mentions(text: str, invocation: Invocation, options_of: OptionsOf = _every_option) -> str:
    """``text`` with every `` `comfyops ...` `` completed with what ``invocation`` carries.

    A mention that already names a global option keeps its own; ``-f`` and ``--env`` are added only where
    the mentioned command takes them and the mention has none. Shell pipes and redirections after the
    command (`` `comfyops plan --format markdown > plan.md` ``) stay where they are.
    """

    def complete(match: re.Match[str]) -> str:
        body = match.group(1).strip()
        command, sep, tail = body.partition(" > ") if " > " in body else (body, "", "")
        try:
            words = shlex.split(command)
        except ValueError:
            return match.group(0)
        given, rest = split_globals(words)
        who = invocation if not given else replace(invocation, global_args=tuple(given))
        line = who.command(*rest, options=options_of(rest))
        return f"`{line}{' > ' + tail if sep else ''}`"

    return _QUOTED.sub(complete, text)
