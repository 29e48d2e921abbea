"""Benchmark: one ``apply`` of 500 creates at 10 requests/s converges under injected 5xx and resets.

Run with ``python -m pytest tests/bench/test_faults_bench.py -m bench -s`` (about 3 minutes). The
served emulator answers 1 % of API calls with a 500 and drops 1 % of connections before answering,
and 1 % of creates land and then answer 500 (the ambiguous create): a re-list tells the client
whether to adopt or to send again. Each repetition asserts one apply converges (exit 0, then 0
duplicates and 0 lost writes in the emulator's own state) and counts the re-lists it cost (GETs beyond
the plan's list and the read-back). The floor is the fault-free minimum: list, 500 creates, read-back.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from bench.floors import rate_floor
from bench.harness import BURST, REPETITIONS, Rep, Row, ServedEmulator, comfyops, record, warm_up
from bench.workloads import GRAPH, WORKFLOW, create_workload

pytestmark = pytest.mark.bench
CREATES = 500
PER_SECOND = 10.0
FAULTS = {"error_rate": 0.01, "drop_rate": 0.01, "ambiguous_create_rate": 0.01}


def test_one_apply_converges_under_faults(tmp_path: Path) -> None:
    work = f"apply {CREATES} creates at {PER_SECOND:g} req/s, 1 % 5xx + 1 % resets + 1 % ambiguous creates"
    minimal = 1 + CREATES + 1
    floor = rate_floor(minimal, PER_SECOND, BURST)
    warm_up(tmp_path)
    reps: list[Rep] = []
    relists: list[int] = []
    for rep in range(REPETITIONS):
        root = tmp_path / f"rep-{rep}"
        root.mkdir()
        create_workload(root, CREATES, PER_SECOND)
        emulator = ServedEmulator(root / "state")
        emulator.seed({WORKFLOW: {"v1": GRAPH}}, [])
        with emulator:
            emulator.rate_limit(PER_SECOND)
            emulator.faults(**FAULTS, seed=1000 + rep)
            run = comfyops("apply", "-f", "m.yaml", "--auto-approve", url=emulator.url, cwd=root)
            emulator.faults()
            traffic = emulator.traffic()
        assert run.code == 0, run.out[-2000:] + run.err[-2000:]
        state = json.loads((root / "state" / "state.json").read_text())
        live = [d for d in state["deployments"].values() if not d.get("deleted")]
        names = collections.Counter(d["name"] for d in live)
        assert [n for n, c in names.items() if c > 1] == [], "a create landed twice"
        assert sorted(names) == [f"new-{i:04d}" for i in range(CREATES)], "a create was lost"
        assert all(d["max_instances"] == 1 + int(d["name"][4:]) % 3 for d in live), "a write was lost"
        by_status = traffic["by_status"]
        reps.append(Rep(run.wall, run.cpu, traffic["requests"], int(by_status.get("429", 0))))
        relists.append(traffic["by_method"].get("GET", 0) - 2)
    extra = f"re-lists per run: {', '.join(map(str, relists))}; 0 duplicates, 0 lost writes, one apply each"
    record(Row(work, "comfyops", tuple(reps), floor,
               floor_how=f"{minimal} calls without faults: list, {CREATES} creates, read-back list", extra=extra))
