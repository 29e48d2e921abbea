"""Field-level differences between a desired and a live essence.

Pure. Left-scoped (kopf's ``DiffScope.LEFT``): only the fields the manifest manages are compared,
and ``ignore_changes`` fields never diff. Scalar fields (all of today's) compare by value and type;
deepdiff compares nested values (should the API grow them), so that a type change deep inside one
(``1`` vs ``1.0``) still counts. Equal essences short-circuit before anything else, which keeps plan
over thousands of unchanged deployments cheap.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from reconciler import catalog


class FieldDiff(NamedTuple):
    """One differing field: its name, live value and desired value."""

    field: str
    before: Any
    after: Any


def diff_fields(
    desired: Mapping[str, Any], live: Mapping[str, Any], *, ignore: Collection[str] = ()
) -> list[FieldDiff]:
    """The managed fields whose desired value differs from live, in display order."""
    if not ignore:  # the usual case: every managed field on both sides, none ignored
        try:
            want, have = _MANAGED(desired), _MANAGED(live)
        except KeyError:
            pass
        else:
            if want == have and all(map(operator.is_, map(type, want), map(type, have))):
                return []
    keys = [f for f in catalog.MANAGED_FIELDS if f in desired and f not in ignore]
    left = [desired[k] for k in keys]
    right = [live.get(k) for k in keys]
    if left == right and all(map(operator.is_, map(type, left), map(type, right))):
        return []
    return [FieldDiff(k, have, want) for k, want, have in zip(keys, left, right, strict=True) if _differs(want, have)]


_MANAGED = operator.itemgetter(*catalog.MANAGED_FIELDS)
"""The managed fields' values of an essence, in display order (KeyError when one is missing)."""


def _differs(want: Any, have: Any) -> bool:
    if type(want) is not type(have) or want != have:
        return True
    if isinstance(want, Mapping | list | tuple):  # equal, but maybe not in the types of what they hold
        from deepdiff import DeepDiff  # imported only for nested values: it costs ~25 ms to import

        return bool(DeepDiff(have, want, ignore_order=False))
    return False
