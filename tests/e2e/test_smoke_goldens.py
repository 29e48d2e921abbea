"""Golden outputs over real HTTP: record with --update-goldens, pass under emulator noise, catch a regression."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

DEPLOYMENT = """
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: t2i}}
spec:
  workflow_id: wf-1
  workflow_version: v1
  workflow_file: wf.json
  smoke:
    overrides:
      "3": {{inputs: {{seed: {seed}}}}}
      "5": {{inputs: {{width: 384, height: 256}}}}
    expect:
      outputs:
        "9": {{images: {{count: 1, similar_to: goldens/t2i.png}}}}
"""


@pytest.fixture
def repo(manifests: Any, run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A deployed t2i with a golden expectation (not recorded yet), emulator noise on, cwd in the repository."""
    monkeypatch.setenv("COMFYOPS_EMULATOR_NOISE", "0.03")
    root: Path = manifests(DEPLOYMENT.format(seed=7))
    applied = run_cli("--emulator", "apply", "-f", str(root), "--auto-approve", cwd=root)
    assert applied.code == 0, applied
    return root


def test_update_goldens_then_pass_then_a_seeded_regression_fails_with_figures(run_cli: Any, repo: Path) -> None:
    missing = run_cli("--emulator", "smoke", "-f", str(repo))
    assert missing.code == 1
    assert "no golden at goldens/t2i.png" in missing.out
    assert "does not exist yet" in missing.err  # the load warning says how to record it

    recorded = run_cli("--emulator", "smoke", "-f", str(repo), "--update-goldens", "--target", "t2i")
    assert recorded.code == 0, recorded
    assert "Wrote golden goldens/t2i.png (t2i: output \"9\" images, request " in recorded.out
    golden = repo / "goldens" / "t2i.png"
    assert golden.read_bytes().startswith(b"\x89PNG") and len(golden.read_bytes()) < 200_000

    passed = run_cli("--emulator", "smoke", "-f", str(repo), "--format", "json")
    assert passed.code == 0, passed
    [result] = json.loads(passed.out)["results"]
    [compared] = result["goldens"]
    assert compared["status"] == "pass" and compared["golden"] == "goldens/t2i.png"
    assert compared["hash_distance"] <= 12 and compared["ssim"] >= 0.75 and compared["frames"] == [0]
    assert Path(repo / compared["received"]).read_bytes().startswith(b"\x89PNG")
    assert compared["diff"] is None

    (repo / "deployments.yaml").write_text(DEPLOYMENT.format(seed=8))
    junit = repo / "smoke.xml"
    failed = run_cli("--emulator", "smoke", "-f", str(repo), "--junit", str(junit), "--format", "json")
    assert failed.code == 1
    [result] = json.loads(failed.out)["results"]
    [compared] = result["goldens"]
    assert compared["status"] == "fail"
    assert compared["hash_distance"] > compared["max_hash_distance"] == 12
    assert compared["ssim"] < compared["min_ssim"] == 0.75
    rid = result["request_id"]
    assert compared["diff"] == f".comfyops/outputs/{rid}/diff-9-images.png"
    assert compared["received"] == f".comfyops/outputs/{rid}/received-9-images.png"
    assert (repo / compared["diff"]).read_bytes().startswith(b"\x89PNG")
    case = ET.parse(junit).getroot().find("./testsuite/testcase")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.text is not None
    assert "differs from goldens/t2i.png: hash distance" in failure.text and "(max 12), SSIM 0." in failure.text


def test_markdown_report_and_text_carry_the_figures(run_cli: Any, repo: Path) -> None:
    assert run_cli("--emulator", "smoke", "-f", str(repo), "--update-goldens").code == 0
    (repo / "deployments.yaml").write_text(DEPLOYMENT.format(seed=9))
    text = run_cli("--emulator", "smoke", "-f", str(repo))
    assert text.code == 1
    assert 'outputs."9".images.similar_to: differs from goldens/t2i.png: hash distance' in text.out
    markdown = run_cli("--emulator", "smoke", "-f", str(repo), "--format", "markdown")
    assert "differs from goldens/t2i.png: hash distance" in markdown.out and "(min 0.75)" in markdown.out
    assert "| `t2i` | `9` images | `goldens/t2i.png` | differs from goldens/t2i.png: hash distance" in markdown.out


def test_update_goldens_never_writes_through_a_symlink(run_cli: Any, repo: Path) -> None:
    from PIL import Image

    other = repo / "other.png"
    Image.new("RGB", (8, 8), "red").save(other)
    before = other.read_bytes()
    (repo / "goldens").mkdir()
    (repo / "goldens" / "t2i.png").symlink_to(other)
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--update-goldens")
    assert result.code == 1
    assert "symbolic link" in result.out
    assert other.read_bytes() == before and (repo / "goldens" / "t2i.png").is_symlink()
    assert "Wrote golden" not in result.out


def test_a_golden_outside_the_repository_is_refused_before_any_run(run_cli: Any, repo: Path, tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(tmp_path / "elsewhere.png")
    (repo / "goldens").mkdir()
    (repo / "goldens" / "t2i.png").symlink_to(tmp_path / "elsewhere.png")
    linked = run_cli("--emulator", "smoke", "-f", str(repo), "--update-goldens")
    assert linked.code == 1 and linked.out == ""
    assert "golden 'goldens/t2i.png' is outside the repository" in linked.err
    (repo / "deployments.yaml").write_text(DEPLOYMENT.format(seed=7).replace("goldens/t2i.png", "../escape.png"))
    escaped = run_cli("--emulator", "smoke", "-f", str(repo), "--update-goldens")
    assert escaped.code == 1 and "golden '../escape.png' is outside the repository" in escaped.err
    assert not (tmp_path / "escape.png").exists()


def test_update_goldens_records_nothing_from_a_run_that_fails_its_other_checks(run_cli: Any, repo: Path) -> None:
    (repo / "deployments.yaml").write_text(DEPLOYMENT.format(seed=7).replace("count: 1,", "count: 2,"))
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--update-goldens")
    assert result.code == 1
    assert not (repo / "goldens" / "t2i.png").exists()
    assert "Wrote golden" not in result.out
