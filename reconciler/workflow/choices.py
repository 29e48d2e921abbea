"""What to say about a value that is not one of a COMBO input's choices.

Pure. A choice list can hold hundreds of names (samplers, every model on a machine); a message shows
the few nearest the value, the did-you-mean first, and how many there are. Two slips get their own
words: a position given for a name (``ckpt_name: "1"``), and a one-item list (``["euler"]``), which
ComfyUI reads as a link.
"""

from __future__ import annotations

import difflib
from typing import Any

from reconciler.workflow.graph import show_value

SHOWN = 5
"""How many choices a message lists at most."""


def nearest(value: Any, options: tuple[Any, ...] | list[Any], limit: int = SHOWN) -> list[Any]:
    """Up to ``limit`` options, the ones most like ``value`` first, then the rest in list order."""
    listed = list(options)
    if len(listed) <= limit:
        return listed
    chosen: list[Any] = []
    if isinstance(value, str):
        names = [o for o in listed if isinstance(o, str)]
        chosen = difflib.get_close_matches(value, names, n=limit, cutoff=0.4)
    rest = [o for o in listed if o not in chosen]
    return chosen + rest[: limit - len(chosen)]


def listing(value: Any, options: tuple[Any, ...] | list[Any], limit: int = SHOWN) -> str:
    """``"euler", "euler_cfg_pp", ... (40 choices)``: the nearest few choices, and how many there are."""
    shown = ", ".join(show_value(o) for o in nearest(value, options, limit))
    if len(options) > limit:
        shown += f", ... ({len(options)} choices)"
    return shown or "(no choices)"


def position_slip(value: Any, options: tuple[Any, ...] | list[Any]) -> str | None:
    """The message for a position given where a choice's name belongs, or None when it is no such slip.

    A slip is an integer (or a string of digits) for a list that has names and no numbers.
    """
    is_position = (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.isdigit()
    )
    if not is_position or not options:
        return None
    if any(not isinstance(o, str) or o.strip().isdigit() for o in options):
        return None
    return f"{show_value(value)} is not one of the choices: choices are names, not positions"


def position_hint(value: Any, options: tuple[Any, ...] | list[Any]) -> str:
    """Which names the position ``value`` might have meant (counting from 0 and from 1)."""
    index = int(value)
    meant = [f"{show_value(options[i])} (counting from {base})" for i, base in ((index, 0), (index - 1, 1))
             if 0 <= i < len(options)]
    if not meant:
        return f"write one of the names: {listing(value, options)}"
    return f"write the name itself: position {index} is {' or '.join(meant)}"


def one_item_hint(value: list[Any], options: tuple[Any, ...] | None, *, multiselect: bool) -> str:
    """The fix for a one-item list given to a choice input: the bare name (or, for multiselect, a wrapper)."""
    item = value[0]
    if multiselect:
        return f'wrap the list: {{"__value__": {show_value(value)}}}'
    return f"a choice takes one name, not a list: write {show_value(item)} without brackets" + (
        "" if options is None or item in options else f" (choices: {listing(item, options)})"
    )
