"""`comfyops validate` on rollouts: a candidate rollout needs a smoke test; companion names are reserved."""

from __future__ import annotations

from typing import Any

DEPLOYMENT = """apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  workflow_id: wf-1
  workflow_version: v1
{extra}"""


def test_a_candidate_rollout_without_a_smoke_test_is_refused_where_it_is_written(
    write_files: Any, run_cli: Any
) -> None:
    root = write_files({"d.yaml": DEPLOYMENT.format(name="demo", extra="  rollout: {strategy: candidate}\n")})
    result = run_cli("validate", "-f", ".", cwd=root)
    assert result.code == 1, result
    assert result.err.splitlines()[0] == (
        "d.yaml:7:13: spec.rollout.strategy: rollout strategy candidate needs a smoke test to run on the candidate "
        "(hint: add spec.smoke (with expect.outputs ... similar_to: a golden), or use strategy: direct)"
    )


def test_a_candidate_rollout_with_a_smoke_test_is_valid(write_files: Any, run_cli: Any) -> None:
    extra = "  rollout: {strategy: candidate}\n  smoke: {timeout_seconds: 60}\n"
    root = write_files({"d.yaml": DEPLOYMENT.format(name="demo", extra=extra)})
    assert run_cli("validate", "-f", ".", cwd=root).code == 0


def test_an_unknown_strategy_is_refused(write_files: Any, run_cli: Any) -> None:
    root = write_files({"d.yaml": DEPLOYMENT.format(name="demo", extra="  rollout: {strategy: canary}\n")})
    result = run_cli("validate", "-f", ".", cwd=root)
    assert result.code == 1
    assert "spec.rollout.strategy: expected one of direct, candidate; got 'canary'" in result.err


def test_the_names_of_candidates_and_keepers_are_reserved(write_files: Any, run_cli: Any) -> None:
    for name in ("demo.comfyops-candidate", "demo.comfyops-keep"):
        root = write_files({"d.yaml": DEPLOYMENT.format(name=name, extra="")})
        result = run_cli("validate", "-f", ".", cwd=root)
        assert result.code == 1, result
        assert result.err.startswith("d.yaml:3:12: metadata.name: names ending in .comfyops-candidate or "
                                     ".comfyops-keep are reserved"), result.err
