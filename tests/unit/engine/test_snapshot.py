"""Live snapshots: secrets scrubbed, fingerprints of the real live state kept, edits refused, age said."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.engine import live, snapshot
from reconciler.engine.plan import Plan, SnapshotSource
from reconciler.render import render_plan

TAKEN = datetime(2026, 12, 6, 1, 0, 0, tzinfo=UTC)
SECRET = "hunter2-secret-value"


def deployment(**extra: Any) -> dict[str, Any]:
    return {
        "id": "dep-1",
        "name": "media-sdxl",
        "workflow_id": "wf",
        "workflow_version": SECRET,
        "hardware": ["AMPERE_48"],
        "min_instances": 0,
        "max_instances": 2,
        "payload": {
            "workflow_api_json": {"1": {"class_type": "KSampler", "inputs": {"api_key": SECRET}}},
            "object_info_url": "https://cdn.example.test/object_info?sig=SIGNED",
            "workflow_versions": ["v1", "v2"],
        },
        **extra,
    }


def encoded(*objects: dict[str, Any]) -> str:
    return snapshot.encode(
        objects or (deployment(),),
        endpoint="RunComfy API at https://api.runcomfy.net",
        api_url="https://api.runcomfy.net",
        taken_at=TAKEN,
        environment="prod",
        secrets=[SECRET],
    )


def test_secrets_and_signed_urls_never_reach_the_file_but_the_real_fingerprint_does() -> None:
    text = encoded()
    assert SECRET not in text and "SIGNED" not in text and "object_info_url" not in text
    taken = snapshot.decode(text)
    [read] = taken.deployments
    real = live.from_api(deployment())
    assert read.fingerprint == real.fingerprint  # what apply will compare with live, unscrubbed
    assert read.fields["workflow_version"] == snapshot.SCRUBBED
    assert read.workflow_api_json == {"1": {"class_type": "KSampler", "inputs": {"api_key": snapshot.SCRUBBED}}}
    assert read.known_versions == ("v1", "v2") and read.object_info_url is None
    assert (taken.environment, taken.endpoint, taken.taken_at) == (
        "prod",
        "RunComfy API at https://api.runcomfy.net",
        TAKEN,
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["deployments"][0]["deployment"].update(max_instances=9), "modified after it was written"),
        (lambda d: d.update(taken_at="2026-12-07T00:00:00Z"), "modified after it was written"),
        (lambda d: d.pop("checksum"), "has no checksum"),
        (lambda d: d.update(format_version=2), "format version 2 is not supported"),
        (lambda d: d.update(kind="something"), "not a comfyops live snapshot"),
    ],
)
def test_an_edited_or_foreign_snapshot_is_refused(edit: Any, message: str) -> None:
    document = json.loads(encoded())
    edit(document)
    with pytest.raises(snapshot.SnapshotError, match=message):
        snapshot.decode(json.dumps(document))


def test_reformatting_is_not_an_edit() -> None:
    document = json.loads(encoded())
    assert snapshot.decode(json.dumps(document, indent=None, sort_keys=False)).checksum == document["checksum"]


def test_not_json_is_one_clear_error() -> None:
    with pytest.raises(snapshot.SnapshotError, match="not JSON"):
        snapshot.decode("{")


@given(st.integers(min_value=0, max_value=10 * 86400))
def test_age_reads_as_the_largest_units(seconds: int) -> None:
    text = snapshot.format_age(seconds)
    assert text and text[0].isdigit() and text.split()[0][-1] in "smhd"


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5s"), (600, "10m"), (3600, "1h"), (11_520, "3h 12m"), (93_600, "1d 2h")]
)
def test_age_examples(seconds: int, text: str) -> None:
    assert snapshot.format_age(seconds) == text


def test_a_plan_from_a_snapshot_says_so_in_every_format() -> None:
    taken = snapshot.decode(encoded())
    source = SnapshotSource(
        endpoint=taken.endpoint,
        taken_at="2026-12-06T01:00:00Z",
        age_seconds=taken.age_seconds(TAKEN + timedelta(hours=3, minutes=12)),
        checksum=taken.checksum,
    )
    plan = Plan(endpoint=taken.endpoint, snapshot=source)
    sentence = (
        "Planned against a snapshot of RunComfy API at https://api.runcomfy.net taken 2026-12-06 01:00:00 UTC "
        "(3h 12m ago)"
    )
    assert sentence in render_plan(plan, "text")
    assert sentence in render_plan(plan, "markdown").replace("&#8203;", "")  # a URL is not auto-linked
    data = json.loads(render_plan(plan, "json"))
    assert data["planned_against"] == sentence and data["snapshot"]["age_seconds"] == 11_520
    assert Plan.from_dict(data).checksum() == plan.checksum()  # the computed sentence is not part of the plan
    assert "snapshot" not in Plan(endpoint="x").to_dict()  # a live plan's JSON (and checksum) is as before
