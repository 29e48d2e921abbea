"""An emulator on loopback, a fast client for it, and manifests with smoke tests, for runner tests."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.manifest.desired import DesiredState
from reconciler.manifest.load import load_manifests
from reconciler.retry import RetryPolicy
from reconciler.runcomfy import wire
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket
from reconciler.smoke.polling import PollPolicy

GRAPH: dict[str, Any] = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 32, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "x"}},
    "50": {"class_type": "ShowText|pysssss", "inputs": {"text": "a caption"}},
}
FAST_POLL = PollPolicy(initial=0.02, factor=1.5, maximum=0.1)


class Env:
    """The emulator, a client of it that records the calls it sends, and a manifest folder."""

    def __init__(self, emu: EmbeddedEmulator, client: RunComfyClient, root: Path, calls: list[str]) -> None:
        self.emu, self.client, self.root, self.calls = emu, client, root, calls

    def deploy(self, name: str, **fields: Any) -> str:
        created = self.client.create_deployment(
            wire.DeploymentCreate(name=name, workflow_id="wf-1", workflow_version="v1")
        )
        if fields:
            self.client.update_deployment(created.id, name=name, changes=fields)
        return created.id

    def desired(self, *deployments: str, presets: str = "") -> DesiredState:
        docs = [textwrap.dedent(presets)] if presets else []
        docs += [textwrap.dedent(d) for d in deployments]
        (self.root / "m.yaml").write_text("\n---\n".join(docs), encoding="utf-8")
        result = load_manifests([self.root], env={"COMFY_KEY": "comfyui-secret-key-123"})
        assert result.state is not None, [p.format() for p in result.problems]
        return result.state

    def request(self, request_id: str) -> dict[str, Any]:
        with self.emu.state.read() as data:
            return dict(data["requests"][request_id])

    def phase(self, deployment_id: str, request_id: str) -> str:
        return self.client.request_status(deployment_id, request_id).status


def smoke_doc(name: str, smoke: str, **spec: Any) -> str:
    """A Deployment document named ``name`` whose ``spec.smoke`` is the YAML ``smoke`` (indented)."""
    extra = "".join(f"  {k}: {v}\n" for k, v in spec.items())
    body = textwrap.indent(textwrap.dedent(smoke).strip(), "    ")
    return (f"apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
            f"  workflow_id: wf-1\n  workflow_version: v1\n{extra}  smoke:\n{body}\n")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    calls: list[str] = []
    with EmbeddedEmulator(tmp_path / "emulator") as emu:
        emu.configure(rate_limit_enabled=False, queue_seconds=0, run_seconds=0.2)
        emu.register_workflow("wf-1", "v1", GRAPH)
        http = build_http_client(base_url=emu.base_url, token="test-token")
        http.event_hooks["request"].append(lambda r: calls.append(f"{r.method} {r.url.path}"))
        client = RunComfyClient(http, limiter=TokenBucket(1000, 1000), retry=RetryPolicy(base=0.0, max_attempts=2))
        root = tmp_path / "repo"
        root.mkdir()
        try:
            yield Env(emu, client, root, calls)
        finally:
            http.close()


__all__ = ["FAST_POLL", "GRAPH", "Env", "httpx", "smoke_doc"]
