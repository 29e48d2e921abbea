"""The history table and JSON document, exactly."""

from __future__ import annotations

import json

from reconciler.history.entry import Entry
from reconciler.render import history as render

OLD = Entry(request_id="r-1", deployment_id="d-1", deployment="t2i", source="smoke", api="emulator",
            submitted_at="2026-01-02T03:04:05Z", updated_at="2026-01-02T03:04:09Z", status="completed",
            outcome="succeeded", instance_id="instance-1", finished_at="2026-01-02T03:04:09Z")
NEW = Entry(request_id="r-2", deployment_id="d-2", deployment="video-long-name", source="run", api="emulator",
            submitted_at="2026-01-02T03:05:00Z", updated_at="2026-01-02T03:05:00Z")


def test_text_is_newest_first_and_aligned() -> None:
    assert render.text([OLD, NEW]) == (
        "SUBMITTED             DEPLOYMENT       REQUEST  STATUS     OUTCOME    INSTANCE    SOURCE\n"
        "2026-01-02T03:05:00Z  video-long-name  r-2      submitted  -          -           run\n"
        "2026-01-02T03:04:05Z  t2i              r-1      completed  succeeded  instance-1  smoke\n"
    )


def test_json_is_versioned_and_carries_every_field() -> None:
    document = json.loads(render.as_json([OLD, NEW], api="emulator", refreshed=True, errors={"r-2": "boom"}))
    assert document == {
        "format_version": 1, "api": "emulator", "refreshed": True,
        "requests": [NEW.to_json(), OLD.to_json()],
        "errors": [{"request_id": "r-2", "message": "boom"}],
    }
    assert list(document["requests"][1]) == ["request_id", "deployment_id", "deployment", "source", "api",
                                             "submitted_at", "updated_at", "status", "outcome", "instance_id",
                                             "finished_at"]
