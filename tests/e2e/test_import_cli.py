"""`comfyops import` against the emulator: the round trip import -> plan shows no changes, for every
hardware SKU and the API's edge values, with and without workflows; overwrite refusal; invalid names."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import catalog
from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.workflow.provenance import read_source_record
from support.emulated import DATA, live_deployments

AUTH = {"Authorization": "Bearer t"}
TXT2IMG = json.loads((DATA / "workflows" / "txt2img.json").read_text())
SECOND = json.loads((DATA / "workflows" / "SaladTechnologies__comfyui-api__sd1.5-txt2img.json").read_text())

SEVEN: list[dict[str, Any]] = [
    {"name": "edge-turing", "hardware": ["TURING_16"], "min_instances": 0, "max_instances": 60},
    {"name": "edge-ampere24", "hardware": ["AMPERE_24"], "keep_warm_duration_in_seconds": 0},
    {"name": "edge-ampere48"},
    {"name": "edge-ada48", "hardware": ["ADA_48_PLUS"], "min_instances": 1, "max_instances": 2},
    {"name": "edge-ampere80", "hardware": ["AMPERE_80"], "workflow_id": "wf-second", "queue_size": 3},
    {"name": "edge-ada80", "hardware": ["ADA_80_PLUS"], "workflow_version": "v2"},
    {"name": "edge-hopper", "hardware": ["HOPPER_141"], "min_instances": 30, "max_instances": 30,
     "queue_size": 100, "keep_warm_duration_in_seconds": 3600},
]
DISABLED = "edge-ada48"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a scratch folder, so paths print as users see them (relative)."""
    monkeypatch.chdir(tmp_path)


def create(emulator: EmbeddedEmulator, body: dict[str, Any]) -> dict[str, Any]:
    """Create a deployment through the API, as the RunComfy UI would."""
    full = {"workflow_id": "wf-txt2img", "workflow_version": "v1", **body}
    response = httpx.post(f"{emulator.base_url}/prod/v2/deployments", json=full, headers=AUTH)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def seven(emulator: EmbeddedEmulator) -> list[dict[str, Any]]:
    """Seven live deployments: every SKU, min 0, max 60, keep-warm 0, a disabled one, a second
    workflow, a non-default version."""
    emulator.register_workflow("wf-txt2img", "v1", TXT2IMG)
    emulator.register_workflow("wf-txt2img", "v2", TXT2IMG)
    emulator.register_workflow("wf-second", "v1", SECOND)
    created = [create(emulator, body) for body in SEVEN]
    disabled = next(d for d in created if d["name"] == DISABLED)
    httpx.patch(f"{emulator.base_url}/prod/v2/deployments/{disabled['id']}",
                json={"name": DISABLED, "is_enabled": False}, headers=AUTH).raise_for_status()
    live = live_deployments(emulator)
    assert {d["hardware"][0] for d in live} == set(catalog.HARDWARE_SKUS)
    return live


def test_import_all_then_plan_shows_no_changes(run_cli, seven, tmp_path):
    out = Path("imported")
    result = run_cli("--emulator", "import", "--all", "--out", str(out))
    assert result.code == 0, result
    assert sorted(p.name for p in out.glob("*.yaml")) == sorted(f"{b['name']}.yaml" for b in SEVEN)
    assert f"Next: `comfyops --emulator plan -f {out}` should show no changes." in result.out
    for record in seven:
        assert f"Wrote {out / record['name']}.yaml ({record['name']}, id {record['id']})" in result.out
    plan = run_cli("--emulator", "plan", "-f", str(out), "--detailed-exitcode")
    assert plan.code == 0, plan
    assert "No changes. Live deployments match the manifests." in plan.out
    assert not list(out.glob(".*"))  # no temporary file left behind


def test_imported_manifest_form(run_cli, seven, tmp_path):
    out = Path("imported")
    assert run_cli("--emulator", "import", "--name", "edge-hopper", "--name", DISABLED, "--out", str(out)).code == 0
    assert sorted(p.name for p in out.glob("*.yaml")) == ["edge-ada48.yaml", "edge-hopper.yaml"]
    hopper = next(d for d in seven if d["name"] == "edge-hopper")
    assert (out / "edge-hopper.yaml").read_text().splitlines()[2:] == [
        "apiVersion: comfyops/v1",
        "kind: Deployment",
        "metadata:",
        "  name: edge-hopper",
        f"  id: {json.dumps(hopper['id']) if hopper['id'][0].isdigit() else hopper['id']}",
        "spec:",
        "  workflow_id: wf-txt2img",
        "  workflow_version: v1",
        "  hardware: HOPPER_141",
        "  min_instances: 30",
        "  max_instances: 30",
        "  queue_size: 100",
        "  keep_warm_duration_in_seconds: 3600",
    ]
    text = (out / "edge-ada48.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "is_enabled: false" in text and "queue_size" not in text and "keep_warm" not in text


def test_import_with_workflows_round_trips_and_validates_offline(run_cli, seven, tmp_path):
    out = Path("with-workflows")
    result = run_cli("--emulator", "import", "--all", "--out", str(out), "--with-workflows")
    assert result.code == 0, result
    workflow = out / "workflows" / "edge-ada80.v2.json"
    assert json.loads(workflow.read_text()) == TXT2IMG
    assert "workflow_file: workflows/edge-ada80.v2.json" in (out / "edge-ada80.yaml").read_text()
    assert json.loads((out / "workflows" / "edge-ampere80.v1.json").read_text()) == SECOND
    info = out / "workflows" / "edge-ada80.v2.object_info.json"
    assert "KSampler" in json.loads(info.read_text())
    provenance = json.loads((out / "workflows" / "edge-ada80.v2.object_info.source.json").read_text())
    ada80 = next(d for d in seven if d["name"] == "edge-ada80")
    assert provenance == {"comfyops_object_info_source": 1, "origin": "deployment", "deployment_id": ada80["id"],
                          "deployment_name": "edge-ada80", "workflow_id": "wf-txt2img", "workflow_version": "v2",
                          "fetched_at": provenance["fetched_at"]}
    assert "url" not in json.dumps(provenance).lower()  # a signed URL is a credential: never written
    record, problems = read_source_record(info)  # what validate reads: the deployment's own catalogue
    assert problems == [] and record is not None
    assert record.from_deployment and record.describes("wf-txt2img", "v2")
    assert f"Wrote {info}" in result.out
    plan = run_cli("--emulator", "plan", "-f", str(out), "--detailed-exitcode")
    assert plan.code == 0, plan
    validate = run_cli("validate", "-f", str(out))  # offline: no --emulator, no token
    assert validate.code == 0, validate
    assert "7 deployments, 0 presets: valid" in validate.out


def test_refuses_to_overwrite_without_force_naming_each_file(run_cli, seven, tmp_path):
    out = Path("imported")
    assert run_cli("--emulator", "import", "--name", "edge-t*", "--name", "edge-hopper", "--out", str(out)).code == 0
    (out / "edge-hopper.yaml").write_text("# my edits\n")
    again = run_cli("--emulator", "import", "--all", "--out", str(out))
    assert again.code == 1
    assert "error: refusing to overwrite 2 existing files:" in again.err
    assert str(out / "edge-hopper.yaml") in again.err and str(out / "edge-turing.yaml") in again.err
    assert "pass --force" in again.err
    assert (out / "edge-hopper.yaml").read_text() == "# my edits\n"
    assert sorted(p.name for p in out.glob("*.yaml")) == ["edge-hopper.yaml", "edge-turing.yaml"]
    forced = run_cli("--emulator", "import", "--all", "--out", str(out), "--force")
    assert forced.code == 0, forced
    assert "name: edge-hopper" in (out / "edge-hopper.yaml").read_text()


def test_invalid_and_duplicate_names_are_imported_under_valid_names_with_the_rename_shown(
        run_cli, emulator, tmp_path):
    emulator.register_workflow("wf-txt2img", "v1", TXT2IMG)
    odd = create(emulator, {"name": "team a/flux*"})
    twins = [create(emulator, {"name": "twin"}), create(emulator, {"name": "twin"})]
    out = Path("imported")
    result = run_cli("--emulator", "import", "--all", "--out", str(out))
    assert result.code == 0, result
    assert "renamed: 'team a/flux*' is not a valid manifest name (or is taken); imported as 'team-a-flux'" in result.out
    assert (out / "team-a-flux.yaml").is_file()
    for twin in twins:
        assert (out / f"twin-{twin['id'][:8]}.yaml").is_file()
    assert "should show no changes (except the renames above)." in result.out
    plan = json.loads(run_cli("--emulator", "plan", "-f", str(out), "--format", "json").out)
    renames = {c["id"]: [(d["field"], d["before"], d["after"]) for d in c["diff"]] for c in plan["changes"]}
    assert renames[odd["id"]] == [("name", "team a/flux*", "team-a-flux")]
    assert plan["summary"]["update"] == 3 and plan["summary"]["create"] == 0


def test_selection_errors(run_cli, seven, tmp_path):
    none = run_cli("--emulator", "import", "--out", str(Path("x")))
    assert none.code == 1 and "--id ID, --name GLOB or --all" in none.err
    unknown = run_cli("--emulator", "import", "--id", "nope", "--name", "zzz*", "--out", str(Path("x")))
    assert unknown.code == 1
    assert "error: --id nope: no live deployment has this id" in unknown.err
    assert "--name 'zzz*': no live deployment matches" in unknown.err
    assert not (Path("x")).exists()
    by_id = run_cli("--emulator", "import", "--id", seven[0]["id"], "--out", str(Path("x")))
    assert by_id.code == 0 and [p.name for p in (Path("x")).glob("*.yaml")] == [f"{seven[0]['name']}.yaml"]


def test_nothing_to_import(run_cli, emulator, tmp_path):
    result = run_cli("--emulator", "import", "--all", "--out", str(Path("x")))
    assert result.code == 0 and "No live deployments to import." in result.out


def test_schema_header_points_at_the_repository_schemas(run_cli, seven, tmp_path):
    repo = Path("repo")
    (repo / "schemas").mkdir(parents=True)
    (repo / "schemas" / "comfyops.schema.json").write_text("{}")
    out = repo / "deploy" / "team"
    assert run_cli("--emulator", "import", "--name", "edge-turing", "--out", str(out)).code == 0
    first = (out / "edge-turing.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/comfyops.schema.json"



def test_unreachable_object_info_is_a_warning(run_cli, seven, monkeypatch):
    from reconciler.runcomfy import errors
    from reconciler.runcomfy.client import RunComfyClient

    def unreachable(self: RunComfyClient, url: str) -> dict[str, Any]:
        raise errors.TransportError(method="GET", path="/object_info", message="could not connect",
                                    may_have_landed=False)

    monkeypatch.setattr(RunComfyClient, "fetch_object_info", unreachable)
    result = run_cli("--emulator", "import", "--name", "edge-turing", "--out", "imported", "--with-workflows")
    assert result.code == 0, result
    assert "warning: edge-turing: object_info is not reachable" in result.err
    assert sorted(p.name for p in Path("imported/workflows").iterdir()) == ["edge-turing.v1.json"]


def test_a_failed_write_leaves_no_partial_file(run_cli, seven, monkeypatch):
    import os

    real_replace = os.replace
    done: list[str] = []

    def flaky_replace(src: Any, dst: Any) -> None:
        if done:
            raise OSError(28, "No space left on device")
        done.append(str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    result = run_cli("--emulator", "import", "--all", "--out", "imported")
    assert result.code == 1, result
    assert "error: could not write imported/" in result.err and "No space left on device" in result.err
    written = sorted(p.name for p in Path("imported").iterdir())
    assert written == [Path(done[0]).name]  # the one complete file; no temporary left behind


def test_a_live_value_outside_the_manifest_ranges_is_written_and_warned_about(run_cli, seven, emulator):
    with emulator.state.transaction() as data:  # the docs allow queue_size 0; the manifest format does not
        for record in data["deployments"].values():
            if record["name"] == "edge-turing":
                record["queue_size"] = 0
    result = run_cli("--emulator", "import", "--name", "edge-turing", "--out", "imported")
    assert result.code == 0, result
    warning = "warning: imported/edge-turing.yaml: spec.queue_size: Input should be greater than or equal to 1"
    assert warning in result.err
    assert "queue_size: 0" in Path("imported/edge-turing.yaml").read_text()


def test_imported_files_get_the_mode_the_umask_gives(run_cli, seven, tmp_path):
    old = os.umask(0o022)
    try:
        result = run_cli("--emulator", "import", "--name", "edge-hopper", "--out", "imported")
    finally:
        os.umask(old)
    assert result.code == 0, result
    assert stat.S_IMODE(Path("imported/edge-hopper.yaml").stat().st_mode) == 0o644
