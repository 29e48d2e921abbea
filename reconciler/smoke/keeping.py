"""Output files kept for a reviewer (``smoke --html``): the pictures, animations and videos a run produced.

Effectful: writes each downloaded picture item (up to :data:`KEEP_ITEMS` per channel) under
``<artifacts>/<request id>/`` through :func:`reconciler.smoke.goldens.keep_copy` (a temporary file and a
rename, never through a symbolic link). Items a golden check kept already are not written twice. Text
and audio channels hold no picture and are never kept.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.smoke import goldens, media
from reconciler.smoke.checks import RunOutcome
from reconciler.smoke.report import GoldenCheck, ReceivedFile

KEEP_ITEMS = 4
"""Items kept per output channel (a batch of 64 pictures shows its first four)."""
NO_PICTURES = frozenset({"text", "audio", "animated"})


def wanted(channel: str, index: int) -> bool:
    """Whether item ``index`` of ``channel`` is a picture worth keeping for the gallery."""
    return channel not in NO_PICTURES and index < KEEP_ITEMS


def keep(outcome: RunOutcome, request_id: str, compared: tuple[GoldenCheck, ...], *,
         artifacts: Path = goldens.ARTIFACTS_DIR) -> tuple[ReceivedFile, ...]:
    """Write the run's picture items (those not kept by a golden check) and say where each went."""
    kept: list[ReceivedFile] = []
    for g in compared:
        if g.received is not None:
            data = outcome.files.get((g.output, g.channel, g.item))
            kept.append(ReceivedFile(g.output, g.channel, g.item, g.received, media.sniff(data) if data else None))
    done = {(f.output, f.channel, f.item) for f in kept}
    for (node_id, channel, index), data in sorted(outcome.files.items()):
        if (node_id, channel, index) in done or not wanted(channel, index):
            continue
        name = f"output-{goldens.safe_name(node_id)}-{goldens.safe_name(channel)}-{index + 1}.{goldens.extension(data)}"
        path = goldens.keep_copy(artifacts, request_id, name, data)
        if path is not None:
            kept.append(ReceivedFile(node_id, channel, index, path, media.sniff(data)))
    return tuple(kept)
