"""The CPU floor of ``comfyops plan``: the least work any tool must do to say what would change.

Usage: ``python floor_plan.py MANIFESTS.yaml`` with ``RUNCOMFY_API_URL`` and ``RUNCOMFY_API_TOKEN`` set.
It parses the manifests with libyaml into nodes that carry their line and column (what a tool needs
to point at a problem), lists the deployments with one GET, and compares each declared field of each
deployment with the live one. No validation, no messages, no plan object: what is left of any plan
once everything but parsing, one request and the comparison is taken away. It prints
``create=N update=N noop=N``.
"""

from __future__ import annotations

import os
import sys

import httpx
import yaml

FIELDS = ("workflow_id", "workflow_version", "hardware", "min_instances", "max_instances", "queue_size",
          "keep_warm_duration_in_seconds", "is_enabled")


def scalar(node: yaml.Node) -> object:
    """A scalar node's value as JSON would have it (ints and booleans as written)."""
    if node.tag.endswith(":int"):
        return int(node.value)
    if node.tag.endswith(":bool"):
        return node.value.lower() == "true"
    return node.value


def mapping(node: yaml.Node) -> dict[str, yaml.Node]:
    return {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        nodes = list(yaml.compose_all(f.read(), Loader=yaml.CSafeLoader))
    headers = {"Authorization": f"Bearer {os.environ['RUNCOMFY_API_TOKEN']}"}
    with httpx.Client(base_url=os.environ["RUNCOMFY_API_URL"], headers=headers, timeout=60) as http:
        live = {d["name"]: d for d in http.get("/prod/v2/deployments").raise_for_status().json()}
    counts = {"create": 0, "update": 0, "noop": 0}
    for node in nodes:
        doc = mapping(node)
        if "kind" not in doc or doc["kind"].value != "Deployment":
            continue
        name = mapping(doc["metadata"])["name"].value
        current = live.get(name)
        if current is None:
            counts["create"] += 1
            continue
        spec = mapping(doc["spec"])
        wanted = {k: scalar(spec[k]) for k in FIELDS if k in spec}
        if "hardware" in wanted:
            wanted["hardware"] = [wanted["hardware"]]
        counts["update" if any(current.get(k) != v for k, v in wanted.items()) else "noop"] += 1
    print(" ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
