"""``comfyops fmt``: one canonical layout, comments kept, meaning never changed (issue 23 §5)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest.fmt import FormatRefused, format_text
from reconciler.manifest.load import load_manifests
from reconciler.render import manifests as printing

ROOT = Path(__file__).parents[3]

SHUFFLED = """\
# yaml-language-server: $schema=../schemas/comfyops.schema.json
spec:
  max_instances: 3   # room for a burst
  hardware: 'AMPERE_24'
  workflow_version: v2
  smoke:
    timeout_seconds: 60
    preset: fast
  workflow_id: wf-1
kind: Deployment
metadata:
  labels: {team: media}
  name: media-a
apiVersion: comfyops/v1
---
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/comfyops.schema.json
apiVersion: comfyops/v1
kind: Deployment
metadata:
  name: media-a
  labels: {team: media}
spec:
  workflow_id: wf-1
  workflow_version: v2
  hardware: "AMPERE_24"
  max_instances: 3   # room for a burst
  smoke:
    preset: fast
    timeout_seconds: 60
"""


def test_keys_go_in_import_order_quotes_become_double_and_comments_stay() -> None:
    assert format_text(SHUFFLED) == CANONICAL
    assert format_text(CANONICAL) == CANONICAL  # idempotent


def test_other_yaml_in_a_manifest_file_and_unknown_keys_keep_their_order() -> None:
    text = "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  zzz: 1\n  prune: {enabled: true}\n---\nb: 1\na: 2\n"
    assert format_text(text) == (
        "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  prune: {enabled: true}\n  zzz: 1\n---\nb: 1\na: 2\n"
    )


def test_a_mapping_with_a_merge_key_keeps_its_order() -> None:
    text = (
        "apiVersion: comfyops/v1\nkind: Deployment\nmetadata:\n  name: b\n  labels: &base {workflow_id: w}\n"
        "spec:\n  <<: *base\n  max_instances: 2\n  workflow_version: v1\n"
    )
    assert format_text(text) == text


def test_invalid_yaml_is_refused_not_rewritten() -> None:
    with pytest.raises(FormatRefused, match=r"a\.yaml"):
        format_text("apiVersion: comfyops/v1\nkind: [\n", "a.yaml")


def _meaning(folder: Path, monkeypatch: pytest.MonkeyPatch, environment: str | None = None) -> Any:
    """What the manifests under ``folder`` mean: the loaded DesiredState's content, positions left out."""
    monkeypatch.chdir(folder)
    result = load_manifests(["."], env={"COMFY_KEY": "k"}, environment=environment)
    assert result.state is not None, [p.format() for p in result.problems]
    state = result.state
    return (
        state.fingerprint(),
        state.source_fingerprint,
        printing.resolved_documents(list(state.documents)),
        [(d.name, d.smoke, None if d.smoke_overrides is None else
          (d.smoke_overrides.values, d.smoke_overrides.sensitive_inputs)) for d in state.deployments],
        sorted(state.presets),
        state.settings,
        state.policy_paths,
    )


def _format_tree(folder: Path) -> int:
    changed = 0
    for path in sorted(folder.rglob("*.yaml")):
        text = path.read_text()
        formatted = format_text(text, str(path))
        changed += formatted != text
        path.write_text(formatted)
    return changed


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_the_examples_mean_the_same_after_formatting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", copy, ignore=shutil.ignore_patterns("github"))
    before = _meaning(copy, monkeypatch, environment)
    assert _format_tree(copy) > 0  # the examples use `{ spaced }` flow mappings: there is work to do
    assert _meaning(copy, monkeypatch, environment) == before
    assert _format_tree(copy) == 0  # and a second run changes nothing


_NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
_SCALAR = st.one_of(st.integers(-5, 5), st.booleans(), _TEXT, st.sampled_from(["yes", "1.10", "010", "~", "*x"]))


def _quoted(value: str, style: str) -> str:
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def _manifest(draw: st.DrawFn) -> str:
    """A Deployment and a preset with keys in any order, any quoting, comments and flow mappings."""
    spec_items = [
        f"workflow_id: {_quoted(draw(_NAMES), draw(st.sampled_from(['single', 'double'])))}",
        f"workflow_version: v{draw(st.integers(1, 20))}",
        f"min_instances: {draw(st.integers(0, 2))}",
        f"max_instances: {draw(st.integers(2, 9))}  # {draw(_NAMES)}",
        "hardware: " + draw(st.sampled_from(["AMPERE_24", "'AMPERE_48'", '"HOPPER_141"'])),
        "smoke: {preset: p, overrides: {\"3\": {inputs: {seed: " + str(draw(st.integers(0, 99))) + "}}}}",
    ]
    inputs = draw(st.dictionaries(_NAMES, _SCALAR, min_size=1, max_size=4))
    rendered = ", ".join(f"{k}: {_quoted(v, 'double') if isinstance(v, str) else str(v).lower()}"
                         for k, v in inputs.items())
    top = [
        "apiVersion: comfyops/v1",
        "kind: Deployment",
        f"metadata: {{name: {draw(_NAMES)}, labels: {{a: {_quoted(draw(_TEXT), 'single')}}}}}",
        "spec:\n" + "\n".join("  " + item for item in draw(st.permutations(spec_items))),
    ]
    description = _quoted(draw(_TEXT), "single")
    preset = ["apiVersion: comfyops/v1", "kind: OverridePreset", "metadata:\n  name: p",
              f"spec:\n  overrides:\n    \"3\": {{inputs: {{{rendered}}}}}\n  description: {description}"]
    return ("# " + draw(_NAMES) + "\n" + "\n".join(draw(st.permutations(top))) + "\n---\n"
            + "\n".join(draw(st.permutations(preset))) + "\n")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_manifest())
def test_fuzzed_manifests_mean_the_same_after_formatting(
    text: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "m.yaml").write_text(text)
    before = _meaning(folder, monkeypatch)  # every drawn manifest is valid
    formatted = format_text(text)
    (folder / "m.yaml").write_text(formatted)
    assert _meaning(folder, monkeypatch) == before
    assert format_text(formatted) == formatted
    assert formatted.startswith("# ")  # the leading comment is kept
