"""Field-level differences between a desired and a live essence.

Pure. Left-scoped (kopf's ``DiffScope.LEFT``): only the fields the manifest manages are compared,
and ``ignore_changes`` fields never diff. deepdiff does the comparison so that nested values (should
the API grow them) diff by path; equal essences short-circuit before it, which keeps plan over
thousands of unchanged deployments cheap.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from deepdiff import DeepDiff

from reconciler.runcomfy import catalog


class FieldDiff(NamedTuple):
    """One differing field: its name, live value and desired value."""

    field: str
    before: Any
    after: Any


def diff_fields(
    desired: Mapping[str, Any], live: Mapping[str, Any], *, ignore: Collection[str] = ()
) -> list[FieldDiff]:
    """The managed fields whose desired value differs from live, in display order."""
    keys = [f for f in catalog.MANAGED_FIELDS if f in desired and f not in ignore]
    left = {k: desired[k] for k in keys}
    right = {k: live.get(k) for k in keys}
    if left == right and all(type(left[k]) is type(right[k]) for k in keys):
        return []
    fields = set(DeepDiff(right, left, ignore_order=False).affected_root_keys)
    return [FieldDiff(k, right[k], left[k]) for k in keys if k in fields]
