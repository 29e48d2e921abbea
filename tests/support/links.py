"""A symlink planted where comfyops would write, pointing at a victim file (issue 19 §3 tests)."""

from __future__ import annotations

from pathlib import Path

VICTIM_BYTES = b"precious: owned by someone else\n"


def plant(link: Path, folder: Path) -> Path:
    """Write a victim file in ``folder`` and a symlink to it at ``link``; the victim's path."""
    victim = folder / "victim.txt"
    victim.write_bytes(VICTIM_BYTES)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(victim)
    return victim
