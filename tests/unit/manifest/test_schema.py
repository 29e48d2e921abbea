"""The committed JSON Schemas are current, and they accept every example manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).parents[3]


def test_committed_schemas_are_current(run_cli):
    result = run_cli("schema", "--check", "--out", str(ROOT / "schemas"))
    assert result.code == 0, result
    assert result.out == f"5 schemas in {ROOT / 'schemas'}/ are up to date\n"


def test_check_fails_on_a_stale_schema_and_names_it(run_cli, tmp_path):
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    stale = tmp_path / "schemas" / "deployment.schema.json"
    stale.write_text(stale.read_text().replace('"min_instances"', '"min_instance"', 1))
    result = run_cli("schema", "--check", "--out", str(tmp_path / "schemas"))
    assert result.code == 1
    assert f"error: schemas in {tmp_path / 'schemas'}/ are stale: deployment.schema.json" in result.err


def test_schema_writes_every_file(run_cli, tmp_path):
    result = run_cli("schema", "--out", str(tmp_path / "out"))
    assert result.code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in (ROOT / "schemas").iterdir())


def test_every_example_validates_against_the_schemas_and_declares_one():
    whole = json.loads((ROOT / "schemas" / "comfyops.schema.json").read_text())
    per_kind = {
        "Deployment": json.loads((ROOT / "schemas" / "deployment.schema.json").read_text()),
        "OverridePreset": json.loads((ROOT / "schemas" / "overridepreset.schema.json").read_text()),
        "Settings": json.loads((ROOT / "schemas" / "settings.schema.json").read_text()),
        "Environment": json.loads((ROOT / "schemas" / "environment.schema.json").read_text()),
    }
    files = sorted((ROOT / "examples").rglob("*.yaml"))
    assert len(files) >= 5
    for file in files:
        text = file.read_text()
        first = text.splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), file
        target = (file.parent / first.split("$schema=", 1)[1]).resolve()
        assert target == (ROOT / "schemas" / "comfyops.schema.json").resolve(), file
        for document in yaml.safe_load_all(text):
            jsonschema.validate(document, whole)
            jsonschema.validate(document, per_kind[document["kind"]])


def test_schema_rejects_what_the_loader_rejects():
    whole = json.loads((ROOT / "schemas" / "comfyops.schema.json").read_text())
    bad = {"apiVersion": "comfyops/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"workflow_id": "w", "workflow_version": "v1", "hardware": "AMPER_48", "min_instance": 1}}
    errors = list(jsonschema.Draft202012Validator(whole).iter_errors(bad))
    assert errors, "a typo'd key and an unknown SKU must not validate"


def test_schema_allows_a_variable_in_numeric_and_boolean_fields_and_nothing_else_as_a_string():
    whole = json.loads((ROOT / "schemas" / "comfyops.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(whole)

    def spec(**fields: object) -> dict[str, object]:
        return {"apiVersion": "comfyops/v1", "kind": "Deployment", "metadata": {"name": "x"},
                "spec": {"workflow_id": "w", "workflow_version": "v1", **fields}}

    assert not list(validator.iter_errors(spec(min_instances="${MIN}", is_enabled="${ON:-true}")))
    for bad in ({"min_instances": "yes"}, {"min_instances": "1"}, {"min_instances": 31}, {"is_enabled": "off"},
                {"min_instances": "${MIN"}, {"queue_size": 0}):
        assert list(validator.iter_errors(spec(**bad))), bad
    settings = {"apiVersion": "comfyops/v1", "kind": "Settings", "spec": {"prices": {"AMPERE_48": -1}}}
    assert list(validator.iter_errors(settings))
