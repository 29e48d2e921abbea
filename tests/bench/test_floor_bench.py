"""Benchmarks: apply and smoke against the emulator over HTTP with its rate limit on, ComfyOps beside
the naive script (``naive.py``), each measured against the rate-limit floor.

Run with ``python -m pytest tests/bench -m bench -s`` (about 12 minutes). The floor of a workload is
the time its minimal calls need under the token bucket: ``(calls - burst) / rate``. Minimal calls:
apply = 1 list + 1 per change + 1 read-back list; smoke = 1 list + (submit, status, result, delete)
per test. Figures go to ``results/latest.json``; ``python tests/bench/chart.py`` turns them into the
README table and chart.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.harness import Row, ServedEmulator, comfyops, floor_seconds, fresh_token, record, run_process
from bench.workloads import GRAPH, WORKFLOW, apply_workload, smoke_workload

pytestmark = pytest.mark.bench
NAIVE = Path(__file__).with_name("naive.py")
JOB_SECONDS = 5.0


def _naive(command: str, url: str, cwd: Path) -> tuple[float, int, int]:
    run = run_process([sys.executable, str(NAIVE), command, "m.yaml"],
                      env={"RUNCOMFY_API_URL": url, "RUNCOMFY_API_TOKEN": fresh_token()}, cwd=cwd)
    assert run.code == 0, run.err
    return run.wall, 0, 0  # calls and 429s are read from the server


def _served(tmp: Path, records: list[dict[str, object]], per_second: float, **config: object) -> ServedEmulator:
    emulator = ServedEmulator(tmp / "state")
    emulator.seed({WORKFLOW: {"v1": GRAPH}}, records)
    emulator.__enter__()
    emulator.rate_limit(per_second)
    if config:
        emulator.configure(**config)
    return emulator


@pytest.mark.parametrize("per_second", [1.0, 5.0])
@pytest.mark.parametrize("changes", [10, 30, 60])
def test_apply_sits_on_the_rate_limit_floor(tmp_path: Path, changes: int, per_second: float) -> None:
    work = f"apply {changes} changes at {per_second:g} req/s"
    minimal = 1 + changes + 1
    floor = floor_seconds(minimal, per_second)
    for tool in ("comfyops", "naive"):
        root = tmp_path / tool
        root.mkdir()
        records = apply_workload(root, changes, per_second)
        emulator = _served(root, records, per_second)
        try:
            if tool == "comfyops":
                run = comfyops("apply", "-f", "m.yaml", "--auto-approve", url=emulator.url, cwd=root)
                assert run.code == 0, run.err
                wall = run.wall
            else:
                wall, _, _ = _naive("apply", emulator.url, root)
            traffic = emulator.traffic()
        finally:
            emulator.__exit__()
        throttled = traffic["by_status"].get("429", 0)
        record(Row(work, tool, wall, traffic["requests"], throttled, floor))
        if tool == "comfyops":
            assert traffic["requests"] - throttled == minimal, traffic
            assert throttled <= 1, traffic
            if changes == 60 and per_second == 1.0:
                assert wall <= 1.05 * floor, f"{wall:.1f}s is {wall / floor:.2f} x the floor"


@pytest.mark.parametrize("per_second", [1.0, 5.0])
def test_smoke_sits_near_the_rate_limit_floor(tmp_path: Path, per_second: float) -> None:
    tests = 20
    work = f"smoke {tests} jobs of {JOB_SECONDS:g} s at {per_second:g} req/s"
    minimal = 1 + 4 * tests
    floor = max(floor_seconds(minimal, per_second), JOB_SECONDS)
    for tool in ("comfyops", "naive"):
        root = tmp_path / tool
        root.mkdir()
        records = smoke_workload(root, tests, per_second)
        emulator = _served(root, records, per_second, queue_seconds=0, run_seconds=JOB_SECONDS)
        try:
            if tool == "comfyops":
                run = comfyops("smoke", "-f", "m.yaml", url=emulator.url, cwd=root)
                assert run.code == 0, run.out + run.err
                wall = run.wall
                print(run.out.splitlines()[-1])
            else:
                wall, _, _ = _naive("smoke", emulator.url, root)
            traffic = emulator.traffic()
        finally:
            emulator.__exit__()
        throttled = traffic["by_status"].get("429", 0)
        record(Row(work, tool, wall, traffic["requests"], throttled, floor))
        if tool == "comfyops":
            assert throttled <= 1, traffic
            assert wall <= 1.15 * floor, f"{wall:.1f}s is {wall / floor:.2f} x the floor"
