"""Smoke presets checked against live payloads, with object_info fetched once and cached on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.engine import live as live_mod
from reconciler.smoke.remote import check_against_live
from tests.unit.smoke.conftest import Env, smoke_doc

PRESET = """
apiVersion: comfyops/v1
kind: OverridePreset
metadata: {name: p}
spec:
  overrides:
    "5": {inputs: {width: "wide", nope: 1}}
    "6": {inputs: {clip: 3}}
"""


def test_presets_are_checked_against_the_live_graph_and_object_info(env: Env, tmp_path: Path) -> None:
    env.deploy("t2i")
    desired = env.desired(smoke_doc("t2i", "preset: p"), presets=PRESET)
    deployment = env.client.list_deployments(include_payload=True)[0]
    assert deployment.payload is not None
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return env.client.fetch_object_info(url)

    cache = tmp_path / "cache"
    problems = check_against_live(desired, {"t2i": deployment.payload}, fetch_object_info=fetch, cache=cache)
    messages = sorted(p.format() for p in problems)
    assert len(messages) == 3, messages
    assert any('"5"' in m and "width" in m and "EmptyLatentImage" in m for m in messages)
    assert any("nope" in m for m in messages)
    assert any('"6"' in m and "clip" in m and "connected to output 1" in m for m in messages)
    assert all("repo/m.yaml:" in m and "overrides." in m for m in messages)
    assert len(fetched) == 1 and list((cache / "object_info").glob("*.json"))

    again = check_against_live(desired, {"t2i": deployment.payload}, fetch_object_info=fetch, cache=cache)
    assert [p.format() for p in again] == [p.format() for p in problems]
    assert len(fetched) == 1  # the second call read the disk cache


def test_a_changed_workflow_version_is_not_checked_and_an_unreachable_object_info_warns(
    env: Env, tmp_path: Path
) -> None:
    env.deploy("t2i")
    desired = env.desired(smoke_doc("t2i", "preset: p"), presets=PRESET)
    obj = env.client.list_deployments(include_payload=True)[0].model_dump(mode="json")
    older = live_mod.from_api({**obj, "workflow_version": "v0"})
    assert check_against_live(desired, {"t2i": older}, fetch_object_info=_never, cache=tmp_path) == []

    same = live_mod.from_api(obj)

    def broken(url: str) -> dict[str, Any]:
        raise OSError("connection refused")

    problems = check_against_live(desired, {"t2i": same}, fetch_object_info=broken, cache=tmp_path)
    warnings = [p for p in problems if not p.is_error]
    assert len(warnings) == 1
    assert "object_info of deployment 't2i' unavailable: connection refused" in warnings[0].message
    assert any("nope" in p.message for p in problems if p.is_error)  # still checked against the graph


def _never(url: str) -> dict[str, Any]:
    raise AssertionError("not fetched")
