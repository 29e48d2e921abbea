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
