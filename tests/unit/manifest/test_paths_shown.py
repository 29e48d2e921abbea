"""Every path shown for one file is normalised the same way (no ``deployments/../workflows/x.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.manifest.load import load_manifests

MANIFEST = """\
apiVersion: comfyops/v1
kind: Deployment
metadata: {name: a}
spec:
  workflow_id: w
  workflow_version: v1
  workflow_file: ../workflows/x.json
"""


def test_workflow_and_object_info_paths_are_shown_normalised(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "repo" / "deployments").mkdir(parents=True)
    (tmp_path / "repo" / "workflows").mkdir()
    (tmp_path / "repo" / "deployments" / "a.yaml").write_text(MANIFEST)
    graph = {"3": {"class_type": "KSampler", "inputs": {"seed": 1}}, "4": {"class_type": 5}}
    (tmp_path / "repo" / "workflows" / "x.json").write_text(json.dumps(graph))
    (tmp_path / "repo" / "workflows" / "object_info.json").write_text('{"KSampler": 3}')
    monkeypatch.chdir(tmp_path)
    shown = [p.format() for p in load_manifests(["repo"], env={}).problems]
    assert shown and not any("/../" in line or line.startswith("..") for line in shown), shown
    assert any(line.startswith("repo/workflows/object_info.json: warning:") for line in shown), shown
    assert any(": repo/workflows/x.json: node \"4\"" in line for line in shown), shown
