"""``validate --format json``: every problem as data, with file, line, column, field, message, hint (issue 23 §4)."""

from __future__ import annotations

import json
from typing import Any

BAD = """\
apiVersion: comfyops/v1
kind: Deployment
metadata: {name: a}
spec:
  workflow_id: w
  workflow_version: v1
  hardwear: AMPERE_48
  min_instances: 2
  max_instances: 1
"""
GOOD = BAD.replace("  hardwear: AMPERE_48\n", "").replace("max_instances: 1", "max_instances: 3")
ENVIRONMENTS = """\
apiVersion: comfyops/v1
kind: Environment
metadata: {name: staging}
spec: {name_suffix: -staging}
---
apiVersion: comfyops/v1
kind: Environment
metadata: {name: prod}
spec:
  name_suffix: -prod
  patches:
    - match: "*"
      spec: {queue_size: 0}
"""


def test_every_problem_with_its_place_and_hint(run_cli: Any, write_files: Any) -> None:
    repo = write_files({"d.yaml": BAD})
    result = run_cli("validate", "-f", "d.yaml", "--format", "json", cwd=repo)
    assert result.code == 1, result
    assert result.err == ""
    data = json.loads(result.out)
    assert data["format_version"] == 1 and data["valid"] is False
    assert data["environments"] == [{"name": None, "valid": False, "deployments": None, "presets": None}]
    assert data["problems"] == [
        {"file": "d.yaml", "line": 7, "column": 3, "field": "spec.hardwear", "severity": "error",
         "message": "unknown field 'hardwear'", "hint": "did you mean 'hardware'?", "environments": []},
        {"file": "d.yaml", "line": 9, "column": 3, "field": "spec.max_instances", "severity": "error",
         "message": "max_instances (1) is below min_instances (2)", "hint": None, "environments": []},
    ]


def test_each_environment_has_a_verdict_and_problems_name_their_environments(
    run_cli: Any, write_files: Any
) -> None:
    repo = write_files({"d.yaml": GOOD, "environments.yaml": ENVIRONMENTS})
    result = run_cli("validate", "-f", ".", "--format", "json", cwd=repo)
    assert result.code == 1, result
    data = json.loads(result.out)
    assert [(e["name"], e["valid"]) for e in data["environments"]] == [("staging", True), ("prod", False)]
    (problem,) = data["problems"]
    assert problem["environments"] == ["prod"] and problem["field"] == "spec.queue_size"
    assert problem["file"] == "environments.yaml" and problem["line"] == 13
    fine = run_cli("validate", "-f", ".", "--format", "json", "--env", "staging", cwd=repo)
    assert fine.code == 0 and json.loads(fine.out)["valid"] is True


def test_valid_manifests_are_an_empty_problem_list(run_cli: Any, write_files: Any) -> None:
    repo = write_files({"d.yaml": GOOD})
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 0, result
    assert json.loads(result.out)["problems"] == []
    assert json.loads(result.out)["environments"] == [{"name": None, "valid": True, "deployments": 1, "presets": 0}]
