"""The provenance record beside an object_info.json decides whether its file lists are the deployment's own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.diagnostics import Severity
from reconciler.workflow import load_object_info_file
from reconciler.workflow.provenance import (
    ObjectInfoSource,
    parse_source_record,
    read_source_record,
    source_path,
    source_record,
)

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "object_info" / "comfyui-0.3.64-core.trimmed.json"


@pytest.mark.parametrize(
    ("name", "record"),
    [
        ("object_info.json", "object_info.source.json"),
        ("flux.v3.object_info.json", "flux.v3.object_info.source.json"),
        ("catalogue", "catalogue.source.json"),
    ],
)
def test_record_path(name: str, record: str) -> None:
    assert source_path(Path("wf") / name) == Path("wf") / record


def test_record_round_trip_never_holds_a_url() -> None:
    record = source_record(deployment_id="d-1", deployment_name="t2i", workflow_id="wf-1", workflow_version="v3")
    assert record == {
        "comfyops_object_info_source": 1,
        "origin": "deployment",
        "deployment_id": "d-1",
        "deployment_name": "t2i",
        "workflow_id": "wf-1",
        "workflow_version": "v3",
    }
    parsed = parse_source_record(json.loads(json.dumps(record)))
    assert parsed == ObjectInfoSource("deployment", "d-1", "t2i", "wf-1", "v3")
    assert parsed.from_deployment and parsed.describes("wf-1", "v3") and not parsed.describes("wf-1", "v4")
    assert ObjectInfoSource("deployment").describes("anything", "v9")
    assert not ObjectInfoSource("hand").from_deployment


def test_a_file_without_a_record_is_hand_placed(tmp_path: Path) -> None:
    shutil.copy(CATALOGUE, tmp_path / "object_info.json")
    info, problems = load_object_info_file(tmp_path / "object_info.json")
    assert problems == [] and info is not None and info.provenance is None and not info.from_deployment


def test_a_record_makes_the_lists_the_deployments(tmp_path: Path) -> None:
    shutil.copy(CATALOGUE, tmp_path / "object_info.json")
    (tmp_path / "object_info.source.json").write_text(json.dumps(source_record(workflow_version="v1")))
    info, problems = load_object_info_file(tmp_path / "object_info.json")
    assert problems == [] and info is not None and info.from_deployment
    assert info.provenance == ObjectInfoSource("deployment", workflow_version="v1")


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"origin": 3}'])
def test_a_broken_record_is_a_warning_and_means_hand_placed(tmp_path: Path, text: str) -> None:
    (tmp_path / "object_info.source.json").write_text(text)
    record, problems = read_source_record(tmp_path / "object_info.json")
    assert record is None
    (problem,) = problems
    assert problem.severity is Severity.WARNING
    assert problem.location is not None and problem.location.path == str(tmp_path / "object_info.source.json")
    assert "treated as hand-placed" in problem.message
