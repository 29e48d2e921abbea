"""Benchmarks: apply and smoke against the emulator over HTTP with its rate limit on, ComfyOps beside
the naive script (``naive.py``), each measured against the rate-limit floor (``floors.py``).

Run with ``python -m pytest tests/bench -m bench -s``. ComfyOps runs :data:`~bench.harness.REPETITIONS`
times per row (the ratio is the median, the spread the lowest and highest); the naive script, a
baseline and not a goal, once. Figures go to ``results/latest.json``; ``python tests/bench/chart.py``
turns them into the README table and chart.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.floors import rate_floor, smoke_floor
from bench.harness import (
    BURST,
    REPETITIONS,
    Rep,
    Row,
    ServedEmulator,
    comfyops,
    fresh_token,
    record,
    run_process,
    warm_up,
)
from bench.workloads import GRAPH, SMOKE, SMOKE_PNG, WORKFLOW, apply_workload, smoke_workload

pytestmark = pytest.mark.bench
NAIVE = Path(__file__).with_name("naive.py")
JOB_SECONDS = 5.0


def _served(tmp: Path, records: list[dict[str, object]], per_second: float, **config: object) -> ServedEmulator:
    emulator = ServedEmulator(tmp / "state")
    emulator.seed({WORKFLOW: {"v1": GRAPH}}, records)
    emulator.__enter__()
    emulator.rate_limit(per_second)
    if config:
        emulator.configure(**config)
    return emulator


def _rep(run_wall: float, run_cpu: float, traffic: dict[str, object]) -> Rep:
    by_status = traffic["by_status"]
    assert isinstance(by_status, dict)
    requests = traffic["requests"]
    assert isinstance(requests, int)
    return Rep(wall=run_wall, cpu=run_cpu, calls=requests, throttled=int(by_status.get("429", 0)))


def _naive(command: str, url: str, cwd: Path) -> tuple[float, float]:
    run = run_process([sys.executable, str(NAIVE), command, "m.yaml"],
                      env={"RUNCOMFY_API_URL": url, "RUNCOMFY_API_TOKEN": fresh_token()}, cwd=cwd)
    assert run.code == 0, run.err
    return run.wall, run.cpu


@pytest.mark.parametrize("per_second", [1.0, 5.0])
@pytest.mark.parametrize("changes", [10, 30, 60])
def test_apply_sits_on_the_rate_limit_floor(tmp_path: Path, changes: int, per_second: float) -> None:
    work = f"apply {changes} changes at {per_second:g} req/s"
    minimal = 1 + changes + 1
    floor = rate_floor(minimal, per_second, BURST)
    how = f"{minimal} calls: list, {changes} changes, read-back list"
    warm_up(tmp_path)
    reps: dict[str, list[Rep]] = {"comfyops": [], "naive": []}
    for tool, times in (("comfyops", REPETITIONS), ("naive", 1)):
        for rep in range(times):
            root = tmp_path / f"{tool}-{rep}"
            root.mkdir()
            emulator = _served(root, apply_workload(root, changes, per_second), per_second)
            try:
                if tool == "comfyops":
                    run = comfyops("apply", "-f", "m.yaml", "--auto-approve", url=emulator.url, cwd=root)
                    assert run.code == 0, run.err
                    wall, cpu = run.wall, run.cpu
                else:
                    wall, cpu = _naive("apply", emulator.url, root)
                traffic = emulator.traffic()
            finally:
                emulator.__exit__()
            reps[tool].append(_rep(wall, cpu, traffic))
            if tool == "comfyops":
                assert traffic["requests"] - reps[tool][-1].throttled == minimal, traffic
                assert reps[tool][-1].throttled <= 1, traffic
    for tool, got in reps.items():
        record(Row(work, tool, tuple(got), floor, floor_how=how))
    if changes == 60 and per_second == 1.0:
        ratio = Row(work, "comfyops", tuple(reps["comfyops"]), floor).ratio
        assert ratio is not None and ratio <= 1.05, f"{ratio:.2f} x the floor"


@pytest.mark.parametrize(("per_second", "expectations"), [(1.0, "none"), (5.0, "none"), (5.0, "png")])
def test_smoke_sits_near_the_rate_limit_floor(tmp_path: Path, per_second: float, expectations: str) -> None:
    """20 jobs of 5 s. With ``png`` every test downloads its output and checks it is a PNG; the emulator
    links outputs under ``localhost`` while the API is reached at ``127.0.0.1``: another host, as
    RunComfy's storage is, so downloads are not API calls."""
    tests = 20
    outputs = "" if expectations == "none" else ", outputs checked (1 PNG each, from another host)"
    work = f"smoke {tests} jobs of {JOB_SECONDS:g} s at {per_second:g} req/s{outputs}"
    floor = smoke_floor(tests, JOB_SECONDS, per_second, BURST)
    how = f"{1 + 3 * tests} calls: list, then submit, result (after the job) and delete per test"
    warm_up(tmp_path)
    config: dict[str, object] = {"queue_seconds": 0, "run_seconds": JOB_SECONDS}
    if expectations == "png":
        config["outputs_host"] = "localhost"
    tools = (("comfyops", REPETITIONS),) + ((("naive", 1),) if expectations == "none" else ())
    reps: dict[str, list[Rep]] = {}
    for tool, times in tools:
        for rep in range(times):
            root = tmp_path / f"{tool}-{rep}"
            root.mkdir()
            records = smoke_workload(root, tests, per_second, SMOKE if expectations == "none" else SMOKE_PNG)
            emulator = _served(root, records, per_second, **config)
            try:
                if tool == "comfyops":
                    run = comfyops("smoke", "-f", "m.yaml", url=emulator.url, cwd=root)
                    assert run.code == 0, run.out + run.err
                    assert expectations == "none" or "format" in run.out or "checks passed" in run.out, run.out
                    wall, cpu = run.wall, run.cpu
                    print(run.out.splitlines()[-1])
                else:
                    wall, cpu = _naive("smoke", emulator.url, root)
                traffic = emulator.traffic()
            finally:
                emulator.__exit__()
            reps.setdefault(tool, []).append(_rep(wall, cpu, traffic))
            if tool == "comfyops":
                assert reps[tool][-1].throttled <= 1, traffic
    for tool, got in reps.items():
        record(Row(work, tool, tuple(got), floor, floor_how=how))
    ratio = Row(work, "comfyops", tuple(reps["comfyops"]), floor).ratio
    assert ratio is not None and ratio <= 1.15, f"{ratio:.2f} x the floor"
