"""Benchmarks: ``comfyops plan`` and ``validate`` over thousands of deployments, and the CLI's start-up,
each as real processes against a floor measured in the same repetition on the same machine.

Run with ``python -m pytest tests/bench/test_scale_bench.py -m bench -s``. Plan and validate are CPU
work: their floor is the CPU of ``floor_plan.py`` (parse the same manifests with libyaml into nodes
with positions, one GET, compare each field), run right before each repetition; the ratio is CPU over
that floor. Start-up's floor is a bare ``python -c pass``, run alternately with the command (wall
ratio, seven repetitions). Targets (issue 24): plan over 5,000 <= 2 x the floor's CPU; validate over
5,000 no slower than plan; ``validate -f examples`` replaying its saved result <= 3 x (a full run,
``--no-cache``, reported beside it) and ``--version`` <= 1.5 x a bare Python.
Plan also reads live state with exactly one request per run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bench.harness import (
    EXAMPLES,
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
from bench.workloads import GRAPH, WORKFLOW, plan_workload

pytestmark = pytest.mark.bench
FLOOR = Path(__file__).with_name("floor_plan.py")
FLOOR_HOW = "CPU of floor_plan.py (libyaml nodes with positions, one GET, field compare), same repetition"


def _floor(url: str, cwd: Path) -> float:
    run = run_process([sys.executable, str(FLOOR), "m.yaml"],
                      env={"RUNCOMFY_API_URL": url, "RUNCOMFY_API_TOKEN": fresh_token()}, cwd=cwd)
    assert run.code == 0, run.err
    return run.cpu


@pytest.mark.parametrize("count", [1_000, 5_000, 20_000])
def test_plan_and_validate_against_the_parsers_floor(tmp_path: Path, count: int) -> None:
    served = ServedEmulator(tmp_path / "state")
    served.seed({WORKFLOW: {"v1": GRAPH}}, plan_workload(tmp_path, count))
    warm_up(tmp_path)
    plans: list[Rep] = []
    validates: list[Rep] = []
    with served as emulator:
        emulator.rate_limit(1.0)
        for _ in range(REPETITIONS):
            floor = _floor(emulator.url, tmp_path)
            emulator.traffic(reset=True)
            run = comfyops("plan", "-f", "m.yaml", url=emulator.url, cwd=tmp_path)
            assert run.code == 0, run.err
            assert emulator.traffic()["requests"] == 1, "plan must read live state with exactly one request"
            plans.append(Rep(run.wall, run.cpu, 1, 0, run.peak_rss_mib, floor=floor))
            if count == 5_000:
                check = comfyops("validate", "-f", "m.yaml", "--no-cache", url=emulator.url, cwd=tmp_path)
                assert check.code == 0, check.err
                validates.append(Rep(check.wall, check.cpu, 0, 0, check.peak_rss_mib, floor=floor))
        summary = json.loads(comfyops("plan", "-f", "m.yaml", "--format", "json", url=emulator.url,
                                      cwd=tmp_path).out)["summary"]
    assert summary["create"] == 5 and summary["update"] == len(range(0, count - 5, 20))
    plan_row = Row(f"plan {count:,} deployments", "comfyops", tuple(plans), basis="cpu", floor_how=FLOOR_HOW)
    record(plan_row)
    if count == 5_000:
        validate_row = Row(f"validate {count:,} deployments", "comfyops", tuple(validates), basis="cpu",
                           floor_how=FLOOR_HOW)
        record(validate_row)
        ratio = plan_row.ratio
        assert ratio is not None and ratio <= 2.0, f"plan over 5,000 costs {ratio:.2f} x the floor's CPU"
        assert validate_row.median("cpu") <= plan_row.median("cpu"), "validate is slower than plan"


def test_cli_start_up_against_a_bare_python(tmp_path: Path) -> None:
    """``--version``, and ``validate -f examples`` replaying its saved result (warm, the pre-commit and editor
    case) beside a full run (``--no-cache``, cold), each against a bare Python run alternately with it."""
    warm_up(tmp_path)  # also saves validate's result, as the first run of a pre-commit hook does
    validate = ("validate", "-f", str(EXAMPLES))
    warm_work, cold_work = "validate -f examples, saved result (warm)", "validate -f examples, full run (--no-cache)"
    commands = {"start-up (comfyops --version)": ("--version",), warm_work: validate,
                cold_work: (*validate, "--no-cache")}
    reps: dict[str, list[Rep]] = {work: [] for work in commands}
    outputs: dict[str, set[tuple[str, str]]] = {work: set() for work in commands}
    for _ in range(7):
        for work, args in commands.items():
            bare = run_process([sys.executable, "-c", "pass"], env={}, cwd=tmp_path)
            run = run_process([sys.executable, "-m", "reconciler", *args], env={}, cwd=tmp_path)
            assert run.code == 0, run.err
            outputs[work].add((run.out, run.err))
            reps[work].append(Rep(run.wall, run.cpu, floor=bare.wall))
    rows = {work: Row(work, "comfyops", tuple(got), floor_how="wall of a bare `python -c pass`, alternately")
            for work, got in reps.items()}
    for row in rows.values():
        record(row)
    version, warm, cold = (rows[w].ratio for w in commands)
    assert len(outputs[warm_work]) == 1 and outputs[warm_work] == outputs[cold_work], "a replay printed otherwise"
    assert version is not None and version <= 1.5, f"--version takes {version:.2f} x a bare Python"
    assert warm is not None and warm <= 3.0, f"validate -f examples (warm) takes {warm:.2f} x a bare Python"
    print(f"validate -f examples: warm {warm:.2f} x, cold (--no-cache) {cold:.2f} x a bare Python")
