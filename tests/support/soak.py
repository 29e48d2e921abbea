"""The apply soak: many randomised apply runs against the emulator with faults injected.

Each run changes the desired state at random (create, scale, rename through ``previous_names``,
delete with ``state: absent``, pause or resume), applies it while the emulator injects 5xx, 429s,
dropped connections, latency and ambiguous creates, and then checks with faults off:

- the plan is empty, allowing one re-apply after a run that reported failures;
- no name is live twice (no duplicate);
- every present deployment is live with the fields it declares, and no absent one is (no lost update).

Seeded: :func:`soak` prints its seed, and ``COMFYOPS_SOAK_SEED`` replays a run.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.engine import planner
from reconciler.engine.plan import Plan
from reconciler.manifest.load import load_manifests
from reconciler.retry import RetryPolicy
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.errors import ApiError
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket
from reconciler.session import executor, observe
from support.emulated import DATA, FAST_SETTINGS, deployment_yaml

FAULTS: dict[str, Any] = {"error_rate": 0.2, "rate_limit_rate": 0.1, "drop_rate": 0.05,
                          "ambiguous_create_rate": 0.2, "latency_seconds": 0.002}


@dataclass
class Declared:
    """One deployment as the manifests declare it across runs."""

    name: str
    max_instances: int = 1
    is_enabled: bool = True
    absent: bool = False
    previous: list[str] = field(default_factory=list)

    def yaml(self) -> str:
        meta = f"previous_names: [{', '.join(self.previous)}]" if self.previous else ""
        extra = f"max_instances: {self.max_instances}\nis_enabled: {str(self.is_enabled).lower()}"
        if self.absent:
            extra += "\nstate: absent"
        return deployment_yaml(self.name, extra=extra, meta=meta)


@dataclass
class SoakResult:
    """What a soak saw: runs, runs that needed a re-apply, duplicates and lost updates (both must be 0)."""

    seed: int
    runs: int = 0
    reapplied: int = 0
    duplicates: int = 0
    lost_updates: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def soak(root: Path, emulator: EmbeddedEmulator, runs: int, seed: int | None = None) -> SoakResult:
    """Run ``runs`` randomised apply runs under faults; see the module docstring for the checks."""
    seed = seed if seed is not None else int(os.environ.get("COMFYOPS_SOAK_SEED", random.randrange(1 << 30)))
    print(f"\nsoak: {runs} runs, seed {seed} (replay with COMFYOPS_SOAK_SEED={seed})")
    rng = random.Random(seed)
    result = SoakResult(seed)
    started = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    (root / "wf.json").write_text((DATA / "workflows" / "txt2img.json").read_text())
    (root / "settings.yaml").write_text(FAST_SETTINGS)
    emulator.register_workflow("wf-txt2img", "v1", json.loads((root / "wf.json").read_text()))
    declared: list[Declared] = []
    for number in range(runs):
        _mutate(rng, declared, number)
        (root / "deployments.yaml").write_text("---\n".join(d.yaml() for d in declared) or "{}\n")
        emulator.set_faults(**FAULTS, seed=rng.randrange(1 << 30))
        failed = _apply_once(root, emulator)
        emulator.set_faults()
        if failed or not _plan(root, _client(emulator)).is_empty:
            result.reapplied += 1
            _apply_once(root, emulator)
        _check(root, emulator, declared, number, result)
        declared = [d for d in declared if not d.absent]  # gone for good: the manifests drop them
        result.runs += 1
    result.seconds = time.monotonic() - started
    return result


def _mutate(rng: random.Random, declared: list[Declared], number: int) -> None:
    present = [d for d in declared if not d.absent]
    kind = rng.choice(["create", "create", "scale", "rename", "delete", "pause"] if present else ["create"])
    if kind == "create" or len(present) < 2:
        declared.append(Declared(f"soak-{number:03d}", max_instances=rng.randint(1, 4)))
        return
    target = rng.choice(present)
    if kind == "scale":
        target.max_instances = rng.choice([n for n in range(1, 5) if n != target.max_instances])
    elif kind == "rename":
        target.previous = [*target.previous, target.name][-2:]
        target.name = f"soak-{number:03d}-r"
    elif kind == "delete":
        target.absent = True
    else:
        target.is_enabled = not target.is_enabled


def _client(emulator: EmbeddedEmulator) -> RunComfyClient:
    http = build_http_client(base_url=emulator.base_url, token="soak-token")
    return RunComfyClient(http, limiter=TokenBucket(1000, 1000), sleep=lambda _s: None,
                          retry=RetryPolicy(base=0.0, cap=0.0, max_attempts=6))


def _plan(root: Path, client: RunComfyClient) -> Plan:
    loaded = load_manifests([str(root)], env={})
    assert loaded.state is not None, [p.format() for p in loaded.problems]
    plan, problems = planner.build_plan(loaded.state, observe.observe(client), planner.PlanOptions())
    assert not problems, problems
    return plan


def _apply_once(root: Path, emulator: EmbeddedEmulator) -> bool:
    """One ``comfyops apply``: plan, then execute; True if anything failed (the list included)."""
    client = _client(emulator)
    try:
        return executor.execute(_plan(root, client), client=client).failed
    except ApiError:
        return True
    finally:
        client.http.close()


def _check(root: Path, emulator: EmbeddedEmulator, declared: list[Declared], number: int, result: SoakResult) -> None:
    client = _client(emulator)
    try:
        live = client.list_deployments()
        plan = _plan(root, client)
    finally:
        client.http.close()
    names = [d.name for d in live]
    duplicates = {n for n in names if names.count(n) > 1}
    by_name = {d.name: d for d in live}
    lost = [d.name for d in declared if not d.absent and (
        d.name not in by_name or by_name[d.name].max_instances != d.max_instances
        or by_name[d.name].is_enabled != d.is_enabled)]
    lost += [d.name for d in declared if d.absent and d.name in by_name]
    result.duplicates += len(duplicates)
    result.lost_updates += len(lost)
    if duplicates or lost or not plan.is_empty:
        pending = [f"{c.action.value} {c.name}" for c in plan.pending]
        result.problems.append(f"run {number}: duplicates {sorted(duplicates)}, lost {lost}, pending {pending}")
