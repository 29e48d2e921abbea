"""The benchmark workloads: manifests on disk and the live account they meet, built the same way for
ComfyOps and for the naive script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler import catalog

WORKFLOW = "wf-bench"
GRAPH: dict[str, Any] = {
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0]}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "b"}},
}
SMOKE = """  smoke:
    timeout_seconds: 300
    expect:
      outputs:
        "9": {images: {count: 1}}
"""


def live_record(index: int, name: str, **spec: Any) -> dict[str, Any]:
    """A deployment as the emulator stores it, with the API's defaults unless ``spec`` says otherwise."""
    fields = {"workflow_id": WORKFLOW, "workflow_version": "v1", "min_instances": 0, "max_instances": 1,
              "queue_size": 1, "keep_warm_duration_in_seconds": 60, **spec}
    return {"id": f"00000000-0000-4000-8000-{index:012d}", "name": name, **fields,
            "hardware": [spec.get("hardware", catalog.DEFAULT_HARDWARE)], "is_enabled": True, "status": "ready",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}


def settings(per_second: float) -> str:
    """The Settings document telling ComfyOps the account's rate limit."""
    return (f"apiVersion: comfyops/v1\nkind: Settings\nspec:\n"
            f"  rate_limit: {{requests_per_second: {per_second:g}, burst: 5}}\n")


def deployment(name: str, extra: str = "", **spec: Any) -> str:
    """One Deployment document."""
    fields = {"workflow_id": WORKFLOW, "workflow_version": "v1", **spec}
    body = "".join(f"  {k}: {v}\n" for k, v in fields.items())
    return f"apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n{body}{extra}"


def apply_workload(root: Path, changes: int, per_second: float) -> list[dict[str, Any]]:
    """``changes`` changes: half updates (max_instances 1 -> 2) of live deployments, half creates.

    Writes ``root/m.yaml`` and returns the live records to seed."""
    updates = changes // 2
    docs = [settings(per_second)]
    docs += [deployment(f"app-{i:03d}", max_instances=2) for i in range(changes)]
    (root / "m.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return [live_record(i, f"app-{i:03d}") for i in range(updates)]


SMOKE_PNG = """  smoke:
    timeout_seconds: 300
    expect:
      outputs:
        "9": {images: {count: 1, format: png}}
"""
"""The usual expectation: one image, a PNG (checked on its bytes, so every output is downloaded)."""


def smoke_workload(root: Path, tests: int, per_second: float, smoke: str = SMOKE) -> list[dict[str, Any]]:
    """``tests`` live deployments, each with a smoke test of one image. Writes ``root/m.yaml``."""
    docs = [settings(per_second)] + [deployment(f"smoke-{i:02d}", smoke) for i in range(tests)]
    (root / "m.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return [live_record(i, f"smoke-{i:02d}") for i in range(tests)]


def create_workload(root: Path, creates: int, per_second: float) -> None:
    """``creates`` new deployments and nothing live. Writes ``root/m.yaml``."""
    docs = [settings(per_second)] + [deployment(f"new-{i:04d}", max_instances=1 + i % 3) for i in range(creates)]
    (root / "m.yaml").write_text("---\n".join(docs), encoding="utf-8")


def plan_workload(root: Path, count: int) -> list[dict[str, Any]]:
    """``count`` deployments over every SKU; live matches all but every 20th (an update) and the last
    five (creates). Writes ``root/m.yaml``."""
    docs = [settings(1)]
    records = []
    for i in range(count):
        spec = {"hardware": catalog.HARDWARE_SKUS[i % len(catalog.HARDWARE_SKUS)], "max_instances": 1 + i % 4,
                "queue_size": 1 + i % 3}
        docs.append(deployment(f"svc-{i:05d}", **spec))
        if i < count - 5:
            live = {**spec, "queue_size": spec["queue_size"] + (10 if i % 20 == 0 else 0)}
            records.append(live_record(i, f"svc-{i:05d}", **live))
    (root / "m.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return records
