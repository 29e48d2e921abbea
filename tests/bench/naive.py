"""The script a user would write from RunComfy's docs without ComfyOps: the baseline of the benchmarks.

Usage: ``python naive.py apply|smoke MANIFESTS.yaml`` with ``RUNCOMFY_API_URL`` and
``RUNCOMFY_API_TOKEN`` set. It is deliberately ordinary, not a straw man: httpx, one list to find ids
by name, one GET per deployment to compare, then a PATCH or POST each in turn; a fixed 2 s sleep on
``429``; smoke tests one after the other, polling status every 2 s. That is how the docs' examples
read. It prints ``calls=N throttled=N`` on its last line.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import httpx
import yaml

FIELDS = ("workflow_version", "min_instances", "max_instances", "queue_size", "keep_warm_duration_in_seconds",
          "is_enabled")
calls = 0
throttled = 0


def call(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; on 429 wait 2 s and try again."""
    global calls, throttled
    while True:
        calls += 1
        response = http.request(method, path, **kwargs)
        if response.status_code != 429:
            response.raise_for_status()
            return response
        throttled += 1
        time.sleep(2)


def deployments(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Deployment"]


def apply(http: httpx.Client, docs: list[dict[str, Any]]) -> None:
    ids = {d["name"]: d["id"] for d in call(http, "GET", "/prod/v2/deployments").json()}
    for doc in docs:
        name, spec = doc["metadata"]["name"], doc["spec"]
        wanted = {k: spec[k] for k in FIELDS if k in spec}
        if "hardware" in spec:
            wanted["hardware"] = [spec["hardware"]]
        if name not in ids:
            body = {"name": name, "workflow_id": spec["workflow_id"], "hardware": ["AMPERE_48"], "min_instances": 0,
                    "max_instances": 1, "queue_size": 1, "keep_warm_duration_in_seconds": 60, **wanted}
            call(http, "POST", "/prod/v2/deployments", json=body)
            continue
        live = call(http, "GET", f"/prod/v2/deployments/{ids[name]}").json()
        if any(live.get(k) != v for k, v in wanted.items()):
            call(http, "PATCH", f"/prod/v2/deployments/{ids[name]}", json={"name": name, **wanted})


def smoke(http: httpx.Client, docs: list[dict[str, Any]]) -> None:
    ids = {d["name"]: d["id"] for d in call(http, "GET", "/prod/v2/deployments").json()}
    for doc in docs:
        deployment = ids[doc["metadata"]["name"]]
        base = f"/prod/v1/deployments/{deployment}"
        request_id = call(http, "POST", f"{base}/inference", json={"overrides": {}}).json()["request_id"]
        while call(http, "GET", f"{base}/requests/{request_id}/status").json()["status"] not in ("completed",
                                                                                                   "cancelled"):
            time.sleep(2)
        call(http, "GET", f"{base}/requests/{request_id}/result")
        call(http, "DELETE", f"{base}/requests/{request_id}")


def main() -> None:
    command, path = sys.argv[1], sys.argv[2]
    headers = {"Authorization": f"Bearer {os.environ['RUNCOMFY_API_TOKEN']}"}
    with httpx.Client(base_url=os.environ["RUNCOMFY_API_URL"], headers=headers, timeout=60) as http:
        {"apply": apply, "smoke": smoke}[command](http, deployments(path))
    print(f"calls={calls} throttled={throttled}")


if __name__ == "__main__":
    main()
