"""Properties of the patch merge: a patch's leaves win, everything it does not name is kept."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.manifest.environments import _deep_merge

keys = st.sampled_from(["a", "b", "c", "d"])
leaves = st.one_of(st.integers(), st.text(max_size=3), st.booleans(), st.lists(st.integers(), max_size=2))
trees = st.recursive(leaves, lambda inner: st.dictionaries(keys, inner, max_size=3), max_leaves=8)
mappings = st.dictionaries(keys, trees, max_size=4)


def leaf_paths(tree: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Path -> value of every non-mapping value (an empty mapping in a patch merges nothing)."""
    if isinstance(tree, dict):
        out: dict[tuple[str, ...], Any] = {}
        for key, value in tree.items():
            out.update(leaf_paths(value, (*prefix, key)))
        return out
    return {prefix: tree}


def lookup(tree: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


@given(mappings, mappings)
def test_every_patched_leaf_wins(base: dict[str, Any], patch: dict[str, Any]) -> None:
    merged = _deep_merge(base, patch)
    for path, value in leaf_paths(patch).items():
        if path:
            assert lookup(merged, path) == value


@given(mappings, mappings)
def test_what_the_patch_does_not_name_is_kept(base: dict[str, Any], patch: dict[str, Any]) -> None:
    merged = _deep_merge(base, patch)
    for path, value in leaf_paths(base).items():
        if path and not replaced(base, patch, path):
            assert lookup(merged, path) == value


def replaced(base: Any, patch: Any, path: tuple[str, ...]) -> bool:
    """Whether the patch names ``path`` or an ancestor with something other than two mappings to merge."""
    for key in path:
        if not isinstance(patch, dict) or key not in patch:
            return False
        base, patch = base[key], patch[key]
        if not (isinstance(base, dict) and isinstance(patch, dict)):
            return True
    return False


@given(mappings, mappings, mappings)
def test_patches_apply_in_order(base: dict[str, Any], first: dict[str, Any], second: dict[str, Any]) -> None:
    # Not associativity: a value in the first patch that replaces a mapping, then a mapping in the second
    # that merges over it, is not the same as merging the two patches first. Order means the later wins.
    after_first = _deep_merge(base, first)
    merged = _deep_merge(after_first, second)
    for path, value in leaf_paths(second).items():
        if path:
            assert lookup(merged, path) == value
    for path, value in leaf_paths(first).items():
        if path and not replaced(after_first, second, path):
            assert lookup(merged, path) == value
