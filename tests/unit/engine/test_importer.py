"""engine.importer: valid names, and manifest texts that load back to exactly the live values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import catalog
from reconciler.engine import importer
from reconciler.engine.live import LiveDeployment
from reconciler.manifest.load import load_manifests
from reconciler.manifest.model import NAME_PATTERN


def live(name: str = "media-a", dep_id: str = "dep-1", **fields: Any) -> LiveDeployment:
    return LiveDeployment(id=dep_id, name=name, fields={**catalog.API_DEFAULTS, "workflow_id": "wf-1",
                                                        "workflow_version": "v1", **fields})


@pytest.mark.parametrize(("name", "expected"), [
    ("media-a", "media-a"),
    ("team a/flux*", "team-a-flux"),
    ("  spaced  ", "spaced"),
    ("-leading.dots", "leading.dots"),
    ("über", "ber"),
    ("***", "deployment-dep-1"),
    ("x" * 150, "x" * 100),
])
def test_valid_name(name: str, expected: str) -> None:
    assert importer.valid_name(name, "dep-1") == expected


@given(st.text(max_size=120), st.text(alphabet="abcdef0123456789-", min_size=1, max_size=36))
def test_valid_name_is_always_valid(name: str, dep_id: str) -> None:
    assert re.match(NAME_PATTERN, importer.valid_name(name, dep_id))


def test_duplicate_and_colliding_names_become_unique() -> None:
    items = importer.plan_import([live("twin", "aaaa1111-x"), live("twin", "bbbb2222-y"), live("a b", "c1"),
                                  live("a-b", "c2")], schema_ref="s.json")
    names = [i.name for i in items]
    assert names == ["twin-aaaa1111", "twin-bbbb2222", "a-b-c1", "a-b-c2"]
    assert [i.renamed for i in items] == [True, True, True, True]


def test_defaults_are_omitted_and_order_is_fixed() -> None:
    text = importer.manifest_text(live(max_instances=60, is_enabled=False, keep_warm_duration_in_seconds=0),
                                  name="media-a", schema_ref="../schemas/comfyops.schema.json")
    assert text.splitlines() == [
        "# yaml-language-server: $schema=../schemas/comfyops.schema.json",
        "# Imported from RunComfy deployment media-a (dep-1).",
        "apiVersion: comfyops/v1",
        "kind: Deployment",
        "metadata:",
        "  name: media-a",
        "  id: dep-1",
        "spec:",
        "  workflow_id: wf-1",
        "  workflow_version: v1",
        "  max_instances: 60",
        "  keep_warm_duration_in_seconds: 0",
        "  is_enabled: false",
    ]


TRICKY = ["v1", "1.0", "007", "yes", "null", "~", "a: b", "#x", "${HOME}", "$${x}", "$$", "it's", 'say "hi"',
          "tab\there", "line\nbreak", "[list]", "{map}", "*alias", "&anchor", "!tag", "@at", "%pct", "- dash",
          "ünï", "2024-01-01", "0x10", "1e3", ".inf", "  padded  "]


def _round_trip(tmp_path: Path, version: str, workflow_id: str) -> dict[str, Any]:
    deployment = live(workflow_version=version, workflow_id=workflow_id, hardware="HOPPER_141", min_instances=3,
                      max_instances=9)
    path = tmp_path / "m.yaml"
    path.write_text(importer.manifest_text(deployment, name="media-a", schema_ref="s.json"), encoding="utf-8")
    result = load_manifests([path], env={"HOME": "/root"})
    assert result.state is not None, [p.format() for p in result.problems]
    (loaded,) = result.state.deployments
    assert loaded.pinned_id == "dep-1" and loaded.name == "media-a"
    assert dict(loaded.fields) == dict(deployment.fields)
    return dict(loaded.fields)


@pytest.mark.parametrize("value", TRICKY)
def test_manifest_text_loads_back_to_the_live_values(tmp_path: Path, value: str) -> None:
    _round_trip(tmp_path, value, f"wf-{value}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(str.strip))
def test_any_printable_string_round_trips(tmp_path: Path, value: str) -> None:
    _round_trip(tmp_path, value, value)


def test_select_by_id_and_glob() -> None:
    pool = [live("media-a", "1"), live("media-b", "2"), live("other", "3")]
    chosen, problems = importer.select(pool, ids=["3"], names=["media-b"])
    assert [d.name for d in chosen] == ["media-b", "other"] and problems == []
    _, problems = importer.select(pool, ids=["9"], names=["x*"])
    assert problems == ["--id 9: no live deployment has this id", "--name 'x*': no live deployment matches"]




def test_live_values_the_manifest_format_refuses_are_reported() -> None:
    (ok,) = importer.plan_import([live(max_instances=60)], schema_ref="s.json")
    assert ok.problems == ()
    (odd,) = importer.plan_import([live(queue_size=0, min_instances=31, max_instances=40)], schema_ref="s.json")
    assert [p.split(":")[0] for p in odd.problems] == ["spec.min_instances", "spec.queue_size"]
