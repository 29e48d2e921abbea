"""Helpers shared by end-to-end tests: manifest snippets and reading the emulator's live state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.emulator.embedded import EmbeddedEmulator

DATA = Path(__file__).parents[1] / "data"
FAST_SETTINGS = """\
apiVersion: comfyops/v1
kind: Settings
spec:
  rate_limit: {requests_per_second: 100, burst: 100}
"""


def deployment_yaml(name: str, *, workflow_id: str = "wf-txt2img", version: str = "v1", extra: str = "",
                    meta: str = "", workflow_file: bool = True) -> str:
    """One Deployment document using the test txt2img workflow."""
    meta_lines = "".join(f"  {line}\n" for line in meta.splitlines())
    extra_lines = "".join(f"  {line}\n" for line in extra.splitlines())
    return (
        f"apiVersion: comfyops/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{meta_lines}spec:\n"
        f"  workflow_id: {workflow_id}\n  workflow_version: {version}\n"
        + ("  workflow_file: wf.json\n" if workflow_file else "")
        + extra_lines
    )


def live_deployments(emulator: EmbeddedEmulator) -> list[dict[str, Any]]:
    """The emulator's live deployments as the API lists them."""
    import httpx

    response = httpx.get(f"{emulator.base_url}/prod/v2/deployments", headers={"Authorization": "Bearer t"})
    response.raise_for_status()
    return sorted(response.json(), key=lambda d: d["name"])


def plan_json(run_cli: Any, repo: Path, *extra: str) -> dict[str, Any]:
    """``comfyops --emulator plan --format json`` parsed."""
    result = run_cli("--emulator", "plan", "-f", str(repo), "--format", "json", *extra)
    assert result.code == 0, result
    return json.loads(result.out)
