"""Validation reports every problem in one run, cross-references included (issue 8 §5).

A document that fails its own checks still declares names (a preset, a deployment) and references
others (extends, smoke.preset, previous_names): those are checked in the same run, so fixing the
first problem never reveals a second one that was there all along.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.manifest.load import load_manifests

MANIFEST = """\
apiVersion: comfyops/v1
kind: OverridePreset
metadata: {name: fast}
spec:
  overrides:
    "3": {inputs: {steps: 4}}
---
apiVersion: comfyops/v1
kind: OverridePreset
metadata: {name: broken}
spec:
  extends: [fastt]
  unknown_key: 1
---
apiVersion: comfyops/v1
kind: Deployment
metadata:
  name: a
  previous_names: [old]
spec:
  workflow_id: w
  workflow_version: v1
  min_instances: 5
  max_instances: 2
  smoke: {preset: fsat}
---
apiVersion: comfyops/v1
kind: Deployment
metadata:
  name: b
  previous_names: [old]
spec:
  workflow_id: w
  workflow_version: v1
  smoke: {preset: brokne}
---
apiVersion: comfyops/v1
kind: Deployment
metadata:
  name: b
spec:
  workflow_id: w
  workflow_version: v1
  hardware: NOPE
"""


def _problems(tmp_path: Path, text: str, monkeypatch: Any) -> list[str]:
    (tmp_path / "m.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = load_manifests(["m.yaml"], env={})
    assert result.state is None
    return [p.format() for p in result.problems]


def test_per_field_and_cross_reference_problems_come_in_one_run(tmp_path: Path, monkeypatch: Any) -> None:
    assert _problems(tmp_path, MANIFEST, monkeypatch) == [
        "m.yaml:12:13: spec.extends: preset 'fastt' does not exist (hint: did you mean 'fast'?)",
        "m.yaml:13:3: spec.unknown_key: unknown field 'unknown_key' (hint: allowed: description, extends, overrides)",
        "m.yaml:24:3: spec.max_instances: max_instances (2) is below min_instances (5)",
        "m.yaml:25:11: spec.smoke.preset: preset 'fsat' does not exist (hint: did you mean 'fast'?)",
        "m.yaml:31:20: metadata.previous_names: previous name 'old' is claimed by both 'a' (at m.yaml:18:3) and 'b' "
        "(hint: a live deployment can be renamed into one manifest only; remove it from one of them)",
        "m.yaml:35:11: spec.smoke.preset: preset 'brokne' does not exist (hint: did you mean 'broken'?)",
        "m.yaml:40:3: metadata.name: deployment 'b' is declared twice (also at m.yaml:30:3) "
        "(hint: names must be unique across all manifests; rename or remove one)",
        "m.yaml:44:3: spec.hardware: expected one of TURING_16, AMPERE_24, AMPERE_48, ADA_48_PLUS, AMPERE_80, "
        "ADA_80_PLUS, HOPPER_141; got 'NOPE'",
    ]


def test_a_reference_to_a_declared_but_invalid_preset_is_not_called_missing(tmp_path: Path, monkeypatch: Any) -> None:
    text = MANIFEST.replace("preset: brokne", "preset: broken")
    problems = _problems(tmp_path, text, monkeypatch)
    assert not any("'broken' does not exist" in p for p in problems), problems


def test_a_preset_extending_an_invalid_preset_is_not_called_missing(tmp_path: Path, monkeypatch: Any) -> None:
    child = "apiVersion: comfyops/v1\nkind: OverridePreset\nmetadata: {name: child}\nspec:\n  extends: [broken]\n"
    text = MANIFEST + "---\n" + child
    problems = _problems(tmp_path, text, monkeypatch)
    assert not any("'broken' does not exist" in p for p in problems), problems


def test_a_previous_name_claimed_twice_by_valid_deployments_is_an_error(tmp_path: Path, monkeypatch: Any) -> None:
    text = "\n---\n".join(
        f"apiVersion: comfyops/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  previous_names: [old]\n"
        "spec:\n  workflow_id: w\n  workflow_version: v1\n"
        for n in ("a", "b")
    )
    assert _problems(tmp_path, text, monkeypatch) == [
        "m.yaml:15:20: metadata.previous_names: previous name 'old' is claimed by both 'a' (at m.yaml:4:3) and 'b' "
        "(hint: a live deployment can be renamed into one manifest only; remove it from one of them)",
    ]


def test_an_invalid_settings_document_still_applies_its_valid_limits(tmp_path: Path, monkeypatch: Any) -> None:
    text = (
        "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  limits: {min_instances_max: 3}\n  prune: {enabeld: true}\n"
        "---\napiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: a}\n"
        "spec:\n  workflow_id: w\n  workflow_version: v1\n  min_instances: 5\n  max_instances: 6\n"
        "---\napiVersion: comfyops/v1\nkind: Settings\nspec: {}\n"
    )
    problems = _problems(tmp_path, text, monkeypatch)
    assert any("spec.prune.enabeld: unknown field" in p for p in problems), problems
    assert any("spec.min_instances: must be at most 3 (the account limit in Settings.limits); got 5" in p
               for p in problems), problems
    assert any("a second Settings document (the first is at m.yaml:1:1)" in p for p in problems), problems


def test_an_invalid_deployment_is_still_checked_against_the_account_limits(tmp_path: Path, monkeypatch: Any) -> None:
    text = (
        "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  limits: {min_instances_max: 3}\n"
        "---\napiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: a}\n"
        "spec:\n  workflow_id: w\n  workflow_version: v1\n  min_instances: 5\n  max_instances: 6\n  hardwear: X\n"
    )
    assert _problems(tmp_path, text, monkeypatch) == [
        "m.yaml:12:3: spec.min_instances: must be at most 3 (the account limit in Settings.limits); got 5 "
        "(hint: lower it, or raise Settings.spec.limits.min_instances_max if your account allows more)",
        "m.yaml:14:3: spec.hardwear: unknown field 'hardwear' (hint: did you mean 'hardware'?)",
    ]


def test_min_above_max_is_reported_beside_other_field_errors_of_the_same_deployment(
    tmp_path: Path, monkeypatch: Any
) -> None:
    text = (
        "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: a}\n"
        "spec:\n  workflow_id: w\n  workflow_version: v1\n  min_instances: 2\n  max_instances: 1\n"
        "  hardware: NOPE\n  queue_size: 0\n"
    )
    problems = _problems(tmp_path, text, monkeypatch)
    assert "m.yaml:8:3: spec.max_instances: max_instances (1) is below min_instances (2)" in problems, problems
    assert len(problems) == 3, problems


def test_min_above_the_default_max_is_reported_beside_other_field_errors(tmp_path: Path, monkeypatch: Any) -> None:
    text = (
        "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: a}\n"
        "spec:\n  workflow_id: w\n  workflow_version: v1\n  min_instances: 2\n  hardware: NOPE\n"
    )
    problems = _problems(tmp_path, text, monkeypatch)
    assert any("max_instances (1, the default) is below min_instances (2)" in p for p in problems), problems


def test_override_errors_are_reported_beside_a_deployments_field_errors(tmp_path: Path, monkeypatch: Any) -> None:
    import shutil

    shutil.copy(Path(__file__).parents[2] / "data" / "workflows" / "txt2img.json", tmp_path / "wf.json")
    text = (
        "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: a}\n"
        "spec:\n  workflow_id: w\n  workflow_version: v1\n  workflow_file: wf.json\n  hardware: NOPE\n"
        "  smoke:\n    overrides:\n      \"999\": {inputs: {seed: 1}}\n"
    )
    problems = _problems(tmp_path, text, monkeypatch)
    assert any("spec.hardware: expected one of" in p for p in problems), problems
    assert any('node "999" is not in the workflow wf.json' in p for p in problems), problems
