"""Benchmark: 20 deployments smoke-tested together against the emulator at the real rate limit.

Run with ``.venv/bin/pytest tests/bench -m bench -s``. Jobs take ``T`` seconds (emulator
``run_seconds``); the emulator enforces the documented 1 request/s (burst 5) per token and the client
uses its default bucket (the same limit), so the run cannot finish before the rate-limit floor:
every deployment needs at least submit, one status, result and delete, plus one list call, and the
client's bucket runs at ``ratelimit.HEADROOM`` (90%) of the account limit. The test
prints the wall time, T, that floor, the calls made and the 429s seen (which must be zero).
"""

from __future__ import annotations

import collections
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.manifest.load import load_manifests
from reconciler.runcomfy import ratelimit, wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.smoke.runner import run_smoke

N = 20
T = 5.0
GRAPH = {
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "b"}},
}
DOC = """
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: bench-{i:02d}}}
spec:
  workflow_id: wf-bench
  workflow_version: v1
  smoke:
    timeout_seconds: 300
    expect:
      outputs:
        "9": {{images: {{count: 1}}}}
"""


@pytest.mark.bench
def test_twenty_smoke_tests_finish_near_the_rate_limit_floor_without_429s(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("\n---\n".join(textwrap.dedent(DOC).format(i=i) for i in range(N)))
    desired = load_manifests([tmp_path / "m.yaml"], env={}).state
    assert desired is not None
    statuses: collections.Counter[int] = collections.Counter()
    with EmbeddedEmulator(tmp_path / "emulator") as emu:
        emu.register_workflow("wf-bench", "v1", GRAPH)
        emu.configure(rate_limit_enabled=False)
        with build_http_client(base_url=emu.base_url, token="setup") as setup:
            admin = RunComfyClient(setup, limiter=ratelimit.TokenBucket(1000, 1000))
            for d in desired.deployments:
                admin.create_deployment(wire.DeploymentCreate(name=d.name, workflow_id="wf-bench",
                                                              workflow_version="v1"))
        emu.configure(rate_limit_enabled=True, queue_seconds=0, run_seconds=T)

        def count(response: httpx.Response) -> None:
            statuses[response.status_code] += 1

        with build_http_client(base_url=emu.base_url, token="bench") as http:
            http.event_hooks["response"].append(count)
            client = RunComfyClient(http)  # the default bucket: 90% of 1 request/s, burst 5
            started = time.monotonic()
            report = run_smoke(desired, list(desired.deployments), client=client, concurrency=N)
            wall = time.monotonic() - started
    calls = sum(statuses.values())
    minimum_calls = 1 + 4 * N
    floor = (minimum_calls - ratelimit.DEFAULT_BURST) / (ratelimit.DEFAULT_RATE * ratelimit.HEADROOM)
    print(
        f"\nsmoke bench: {N} deployments, T={T:.0f}s jobs, wall {wall:.1f}s; rate-limit floor {floor:.0f}s "
        f"({minimum_calls} calls at {ratelimit.HEADROOM:g} x {ratelimit.DEFAULT_RATE:g}/s, "
        f"burst {ratelimit.DEFAULT_BURST}); "
        f"{calls} calls made ({calls - minimum_calls} extra status polls); 429s: {statuses[429]}"
    )
    assert report.counts()["pass"] == N, report.summary()
    assert statuses[429] == 0
    assert wall < floor + T + 20
