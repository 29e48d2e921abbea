"""Golden tolerances measured: false failures of an unchanged workflow, detection of seeded regressions.

Run with ``python -m pytest tests/bench/test_goldens_bench.py -m bench -s`` (about a minute). Over real
HTTP against the emulator with its noise on (``noise`` = 0.03: a per-pixel Gaussian of 3 % of full
scale, fresh per run): one run records the golden (as ``smoke --update-goldens`` does), then

- 50 runs of the unchanged request are compared with the default tolerances: false failures < 1 %;
- 40 seeded regressions (10 other seeds, 10 other samplers/schedulers, 10 other sizes, 10 other
  prompts) are compared: detection >= 95 %.

The figures (worst unchanged run, closest regression) are printed and written to
``results/goldens.json``; the README's "Golden outputs" quotes them. The last test times the
emulator's drawing of a 1024 px picture against a floor measured in the same run (Pillow creating and
resizing a picture of that size).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.manifest.model import DEFAULT_MAX_HASH_DISTANCE, DEFAULT_MIN_SSIM

pytestmark = pytest.mark.bench
GRAPH = json.loads((Path(__file__).parents[1] / "data" / "workflows" / "txt2img.json").read_text())
NOISE = 0.03
RUNS = 50
RESULTS = Path(__file__).with_name("results")
SIZE = {"5": {"inputs": {"width": 512, "height": 512}}}
SAMPLERS = [("euler", "normal"), ("euler_ancestral", "karras"), ("dpmpp_2m", "normal"), ("dpmpp_sde", "karras"),
            ("ddim", "ddim_uniform"), ("uni_pc", "normal"), ("heun", "karras"), ("lms", "exponential"),
            ("dpmpp_2m_sde", "exponential"), ("dpm_2", "sgm_uniform")]


def regressions() -> list[tuple[str, dict[str, Any]]]:
    """40 changed requests: another seed, sampler, size or prompt."""
    found: list[tuple[str, dict[str, Any]]] = []
    for i in range(10):
        found.append(("seed", {"3": {"inputs": {"seed": 1000 + i}}}))
        sampler, scheduler = SAMPLERS[i]
        found.append(("sampler", {"3": {"inputs": {"sampler_name": sampler, "scheduler": scheduler}}}))
        width, height = [(320, 320), (384, 384), (448, 448), (576, 576), (640, 640), (512, 384), (512, 448),
                          (512, 576), (512, 640), (512, 768)][i]  # 512 x 512 is the unchanged request
        found.append(("size", {"5": {"inputs": {"width": width, "height": height}}}))
        found.append(("prompt", {"6": {"inputs": {"text": f"a lighthouse on a cliff at dawn, variation {i}"}}}))
    return found


class Runner:
    """One deployment on the emulator; runs a request and downloads its picture."""

    def __init__(self, emulator: EmbeddedEmulator) -> None:
        self.http = httpx.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer b"}, timeout=60)
        body = {"name": "bench", "workflow_id": "wf-b", "workflow_version": "v1"}
        self.deployment = self.http.post("/prod/v2/deployments", json=body).json()["id"]

    def picture(self, overrides: dict[str, Any]) -> bytes:
        merged = {**SIZE, **overrides}
        submitted = self.http.post(f"/prod/v1/deployments/{self.deployment}/inference",
                                   json={"overrides": merged}).json()
        for _ in range(400):
            result = self.http.get(submitted["result_url"]).json()
            if result["status"] == "succeeded":
                return self.http.get(result["outputs"]["9"]["images"][0]["url"]).content
            time.sleep(0.02)
        raise AssertionError("the request never finished")


def test_false_failures_and_detection(tmp_path: Path) -> None:
    from reconciler.smoke import compare

    limits = {"max_hash_distance": DEFAULT_MAX_HASH_DISTANCE, "min_ssim": DEFAULT_MIN_SSIM}
    with EmbeddedEmulator(tmp_path / "state") as emulator:
        emulator.configure(rate_limit_enabled=False, queue_seconds=0, run_seconds=0, noise=NOISE)
        emulator.register_workflow("wf-b", "v1", GRAPH)
        runner = Runner(emulator)
        golden = compare.make_golden(runner.picture({}))
        unchanged = [compare.compare(runner.picture({}), golden, **limits) for _ in range(RUNS)]
        changed = [(kind, compare.compare(runner.picture(o), golden, **limits)) for kind, o in regressions()]
        runner.http.close()
    false_failures = sum(not c.passed for c in unchanged)
    detected = sum(not c.passed for _, c in changed)
    pixel = [c for _, c in changed if c.ssim is not None]
    figures = {
        "noise": NOISE, "runs": RUNS, "false_failures": false_failures, "regressions": len(changed),
        "detected": detected, "by_kind": {k: sum(not c.passed for kk, c in changed if kk == k) for k, _ in changed},
        "unchanged_max_hash_distance": max(c.hash_distance or 0 for c in unchanged),
        "unchanged_min_ssim": min(c.ssim or 0.0 for c in unchanged),
        "unchanged_median_ssim": statistics.median(c.ssim or 0.0 for c in unchanged),
        "regression_min_hash_distance": min(c.hash_distance or 0 for c in pixel),
        "regression_max_ssim": max(c.ssim or 0.0 for c in pixel),
        "regressions_failed_on_shape": sum(c.problem is not None for _, c in changed),
        **limits,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "goldens.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    assert false_failures / RUNS < 0.01
    assert detected / len(changed) >= 0.95


def test_a_1024_px_picture_draws_in_milliseconds() -> None:
    from PIL import Image

    from reconciler.emulator import picture

    params = picture.Params(width=1024, height=1024, seed=1, prompt="p")

    def floor() -> None:
        Image.new("RGB", (4, 4)).resize((1024, 1024), Image.Resampling.BICUBIC)

    def draw() -> None:
        picture.render(params, noise=NOISE, noise_key="k")

    def median(func: Any) -> float:
        times = []
        for _ in range(9):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    base, drawn = median(floor), median(draw)
    print(f"1024 px: drawn with noise in {drawn * 1000:.1f} ms; floor (Pillow resize) {base * 1000:.1f} ms; "
          f"ratio {drawn / base:.1f}")
    assert drawn / base < 12
