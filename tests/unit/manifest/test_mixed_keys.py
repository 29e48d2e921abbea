"""A mapping whose keys mix numbers and strings (YAML allows `7:` beside `"6":`) is a located problem, not a
crash: found by the loader fuzz test as a TypeError while fingerprinting the sources."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest.load import load_manifests

PRESET = """\
apiVersion: comfyops/v1
kind: OverridePreset
metadata:
  name: p
spec:
  overrides:
    "6": { inputs: { text: "x" } }
    7: { inputs: { seed: 1 } }
"""


def test_a_number_key_beside_string_keys_is_one_located_problem(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(PRESET, encoding="utf-8")
    result = load_manifests([tmp_path], env={})
    assert result.state is None
    [problem] = result.problems
    assert problem.location is not None and problem.location.path.endswith("p.yaml")
    assert problem.field_path == "spec.overrides[7]"
    assert problem.hint == 'quote it if you meant a string: "7"'


SOURCES = [
    "a: {b: 1, c: [x, {d: e}]}\n",
    "a: {7: x}\n",  # only number keys: json.dumps would spell them "7", the fingerprint "\x00int:7"
    "a: {true: x, null: y}\n",
    "base: &b {1: one}\nm: {<<: *b, k: v}\n",  # a number key merged in
    "a: !!map {2: x}\n",
    "a: [{b: {3.5: x}}]\n",
    '"$k": {"${V}": 1}\n',
]


def test_the_source_fingerprint_sorts_number_keys_apart_from_strings() -> None:
    """Documents whose keys are all strings skip the walk that renames the others; the digest is the same."""
    import hashlib
    import json

    from reconciler.manifest import load, source

    for text in SOURCES:
        documents, problems = source.parse_documents(text, "m.yaml")
        assert not problems and documents, text
        reference = json.dumps([[d.path, d.index, load._sortable(d.data)] for d in documents], sort_keys=True,
                               default=str)
        assert load._source_fingerprint(documents) == "sha256:" + hashlib.sha256(reference.encode()).hexdigest()
    [plain] = source.parse_documents(SOURCES[0], "m.yaml")[0]
    assert plain.str_keys
