"""Benchmarks: ``comfyops plan`` over 10 to 5,000 deployments and the CLI's start-up, as real processes
against the emulator served over HTTP.

Run with ``python -m pytest tests/bench -m bench -s``. Each plan row records the API requests the
server saw (always exactly one), wall and CPU seconds, and the peak RSS of the ``comfyops`` process.
Targets: plan over 5,000 deployments under 1.5 s wall; ``validate -f examples`` under 0.3 s.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import pytest

from bench.harness import Row, ServedEmulator, comfyops, record, run_process
from bench.workloads import GRAPH, WORKFLOW, plan_workload

pytestmark = pytest.mark.bench
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize("count", [10, 100, 1_000, 5_000])
def test_plan_costs_one_request_and_scales(tmp_path: Path, count: int) -> None:
    served = ServedEmulator(tmp_path / "state")
    served.seed({WORKFLOW: {"v1": GRAPH}}, plan_workload(tmp_path, count))
    with served as emulator:
        emulator.rate_limit(1.0)
        emulator.traffic(reset=True)
        runs = [comfyops("plan", "-f", "m.yaml", "--format", "json", url=emulator.url, cwd=tmp_path)
                for _ in range(3)]
        traffic = emulator.traffic()
    for run in runs:
        assert run.code == 0, run.err
    summary = json.loads(runs[0].out)["summary"]
    assert summary["create"] == 5 and summary["update"] == len(range(0, count - 5, 20))
    assert traffic["requests"] == 3, "plan must read live state with exactly one request per run"
    best = sorted(runs, key=lambda r: r.wall)[1]  # the median of three
    record(Row(f"plan {count:,} deployments", "comfyops", best.wall, 1, 0, cpu=best.cpu,
               peak_rss_mib=best.peak_rss_mib))
    if count == 5_000:
        assert best.wall < 1.5, f"plan over 5,000 deployments took {best.wall:.2f}s"


def test_cli_start_up(tmp_path: Path) -> None:
    def median_wall(*args: str) -> float:
        runs = [run_process([sys.executable, "-m", "reconciler", *args], env={}, cwd=tmp_path) for _ in range(7)]
        assert all(r.code == 0 for r in runs), runs[0].err
        return statistics.median(r.wall for r in runs)

    version = median_wall("--version")
    validate = median_wall("validate", "-f", str(EXAMPLES))
    record(Row("start-up (comfyops --version)", "comfyops", version, 0, 0))
    record(Row("validate -f examples", "comfyops", validate, 0, 0))
    assert validate < 0.3, f"validate -f examples took {validate:.3f}s"
