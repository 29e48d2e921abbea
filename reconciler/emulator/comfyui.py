"""The ComfyUI backend a live emulated instance answers through the instance proxy.

Pure: :func:`answer` maps a proxied path (and body) to a status, a body and its content type, from
plain data (the registered workflows, the deployment's hardware). Routes, as ComfyUI serves them:

- ``free`` and ``api/free`` (ComfyUI Manager's spelling): 200 with no body. The body, when there is
  one, must be a JSON object; ``unload_models`` / ``free_memory`` must be booleans if present.
- ``object_info``: the node schemas of every registered workflow (the deployment's own first);
  ``object_info/{node_class}`` one class, or ComfyUI's 404 for an unknown class.
- ``system_stats``: the server and its one GPU, sized from the deployment's hardware SKU.
- anything else: ComfyUI's (aiohttp's) plain-text ``404: Not Found``.

The RunComfy proxy is documented as POST only; ComfyUI serves ``object_info`` and ``system_stats``
on GET. The emulator answers these routes on either method (a forwarded call reaches the route by
path), the lenient reading where the documents are silent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from reconciler.emulator.workflows import object_info

NOT_FOUND_TEXT: Final[str] = "404: Not Found"
FREE_PATHS: Final[frozenset[str]] = frozenset({"free", "api/free"})
FREE_FLAGS: Final[tuple[str, ...]] = ("unload_models", "free_memory")

# GPU name and VRAM (GiB) per SKU, as ComfyUI's system_stats would report them (emulated values).
_GPUS: Final[dict[str, tuple[str, int]]] = {
    "TURING_16": ("Tesla T4", 16),
    "AMPERE_24": ("NVIDIA A10G", 24),
    "AMPERE_48": ("NVIDIA RTX A6000", 48),
    "ADA_48_PLUS": ("NVIDIA L40S", 48),
    "AMPERE_80": ("NVIDIA A100-SXM4-80GB", 80),
    "ADA_80_PLUS": ("NVIDIA H100 80GB HBM3", 80),
    "HOPPER_141": ("NVIDIA H200", 141),
}


@dataclass(frozen=True)
class Answer:
    """What the emulated ComfyUI answers: status, body bytes and content type (empty for no body)."""

    status: int
    content: bytes = b""
    media_type: str = ""


def _json(value: Any) -> Answer:
    return Answer(200, json.dumps(value).encode(), "application/json")


def not_found() -> Answer:
    """ComfyUI's answer to an unknown route: aiohttp's plain-text 404."""
    return Answer(404, NOT_FOUND_TEXT.encode(), "text/plain; charset=utf-8")


def free_body_problem(body: Any) -> str | None:
    """Why ``body`` is not an ``api/free`` body (None when it is one, or when there is none)."""
    if body is None:
        return None
    if not isinstance(body, dict):
        return "the api/free body must be a JSON object"
    for flag in FREE_FLAGS:
        if flag in body and not isinstance(body[flag], bool):
            return f"{flag} must be true or false"
    return None


def node_schemas(graphs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """object_info merged over ``graphs``; a class seen first keeps its schema."""
    merged: dict[str, Any] = {}
    for graph in graphs:
        for name, schema in object_info(dict(graph)).items():
            merged.setdefault(name, schema)
    return merged


def system_stats(hardware: str | None) -> dict[str, Any]:
    """ComfyUI's ``/system_stats`` for an instance on ``hardware`` (emulated values)."""
    name, gib = _GPUS.get(hardware or "", ("NVIDIA RTX A6000", 48))
    total = gib * 1024**3
    return {
        "system": {"os": "posix", "python_version": "3.11.9", "embedded_python": False,
                   "comfyui_version": "emulated"},
        "devices": [{"name": f"cuda:0 {name}", "type": "cuda", "index": 0, "vram_total": total,
                     "vram_free": total, "torch_vram_total": total, "torch_vram_free": total}],
    }


def answer(path: str, body: Any, *, graphs: Iterable[Mapping[str, Any]], hardware: str | None) -> Answer:
    """ComfyUI's answer to ``path`` (no leading slash) on a live instance; ``body`` is the parsed JSON."""
    route = path.strip("/")
    if route in FREE_PATHS:
        problem = free_body_problem(body)
        return Answer(400, problem.encode(), "text/plain; charset=utf-8") if problem else Answer(200)
    if route in ("object_info", "api/object_info"):
        return _json(node_schemas(graphs))
    if route.startswith(("object_info/", "api/object_info/")):
        node_class = route.split("object_info/", 1)[1]
        schemas = node_schemas(graphs)
        return _json({node_class: schemas[node_class]}) if node_class in schemas else not_found()
    if route in ("system_stats", "api/system_stats"):
        return _json(system_stats(hardware))
    return not_found()
