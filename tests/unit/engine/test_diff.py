"""Table tests for the essence (``live.essence``/``normalize_hardware``) and the left-scoped diff.

kopf style (``tests/diffs/``): each row is input -> expected plain tuples, so a failure shows the
whole difference at a glance. ``diff_fields`` returns ``FieldDiff`` NamedTuples; rows compare them as
``(field, before, after)`` tuples, and the type of each side is checked too, because ``1 == True``.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import catalog
from reconciler.engine import diff, live
from support.specs import SPEC

FULL = SPEC

DEFAULTS_ESSENCE = (
    ("workflow_id", None),
    ("workflow_version", None),
    ("hardware", catalog.DEFAULT_HARDWARE),
    ("min_instances", catalog.DEFAULT_MIN_INSTANCES),
    ("max_instances", catalog.DEFAULT_MAX_INSTANCES),
    ("queue_size", catalog.DEFAULT_QUEUE_SIZE),
    ("keep_warm_duration_in_seconds", catalog.DEFAULT_KEEP_WARM_SECONDS),
    ("is_enabled", catalog.DEFAULT_IS_ENABLED),
)


def as_tuples(diffs: list[diff.FieldDiff]) -> list[tuple[str, Any, Any]]:
    return [tuple(d) for d in diffs]  # type: ignore[misc]


def typed(diffs: list[diff.FieldDiff]) -> list[tuple[str, type, type]]:
    return [(d.field, type(d.before), type(d.after)) for d in diffs]


# -- normalize_hardware ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("AMPERE_48", "AMPERE_48", id="string"),
        pytest.param(["AMPERE_48"], "AMPERE_48", id="one-element-list"),
        pytest.param(("HOPPER_141",), "HOPPER_141", id="one-element-tuple"),
        pytest.param(["AMPERE_48", "AMPERE_80"], ["AMPERE_48", "AMPERE_80"], id="two-elements-stay-a-list"),
        pytest.param(("AMPERE_48", "AMPERE_80"), ["AMPERE_48", "AMPERE_80"], id="tuple-becomes-list"),
        pytest.param([], [], id="empty-list-stays"),
        pytest.param(None, None, id="none"),
    ],
)
def test_normalize_hardware(value: Any, expected: Any) -> None:
    assert live.normalize_hardware(value) == expected
    assert type(live.normalize_hardware(value)) is type(expected)


# -- essence -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param({}, DEFAULTS_ESSENCE, id="everything-omitted-takes-api-defaults"),
        pytest.param(
            {**FULL, "hardware": ["TURING_16"]},
            (("workflow_id", "wf-1"), ("workflow_version", "v1"), ("hardware", "TURING_16"), ("min_instances", 0),
             ("max_instances", 1), ("queue_size", 1), ("keep_warm_duration_in_seconds", 60), ("is_enabled", True)),
            id="hardware-list-becomes-string",
        ),
        pytest.param(
            {**FULL, "hardware": "TURING_16"},
            (("workflow_id", "wf-1"), ("workflow_version", "v1"), ("hardware", "TURING_16"), ("min_instances", 0),
             ("max_instances", 1), ("queue_size", 1), ("keep_warm_duration_in_seconds", 60), ("is_enabled", True)),
            id="hardware-string-kept",
        ),
        pytest.param(
            {"workflow_id": "wf-2", "workflow_version": "v9", "min_instances": None, "is_enabled": None},
            (("workflow_id", "wf-2"), ("workflow_version", "v9"), *DEFAULTS_ESSENCE[2:]),
            id="explicit-nulls-take-api-defaults",
        ),
        pytest.param(
            {**FULL, "min_instances": 0, "is_enabled": False, "keep_warm_duration_in_seconds": 0},
            (("workflow_id", "wf-1"), ("workflow_version", "v1"), ("hardware", "AMPERE_48"), ("min_instances", 0),
             ("max_instances", 1), ("queue_size", 1), ("keep_warm_duration_in_seconds", 0), ("is_enabled", False)),
            id="falsy-values-are-not-omissions",
        ),
        pytest.param(
            {**FULL, "id": "dep-1", "name": "t2i", "status": "ready", "created_at": "x", "updated_at": "y",
             "payload": {"workflow_api_json": {}}, "readme": "# hi", "something_new": 1},
            tuple(FULL.items()),
            id="server-owned-and-unknown-fields-dropped",
        ),
    ],
)
def test_essence(obj: dict[str, Any], expected: tuple[tuple[str, Any], ...]) -> None:
    result = live.essence(obj)
    assert tuple(result.items()) == expected
    assert [type(v) for v in result.values()] == [type(v) for _, v in expected]


def test_essence_keys_follow_managed_field_order() -> None:
    shuffled = dict(reversed(list(FULL.items())))
    assert tuple(live.essence(shuffled)) == catalog.MANAGED_FIELDS


def test_essence_of_an_omitted_hardware_after_the_wire_model_is_the_api_default() -> None:
    from reconciler.runcomfy import wire

    dumped = wire.Deployment.model_validate({"id": "d", "name": "n", "workflow_id": "w"}).model_dump(mode="json")
    assert live.essence(dumped)["hardware"] == catalog.DEFAULT_HARDWARE


def test_from_api_essence_fingerprint_and_order() -> None:
    objects = [
        {"id": "b", "name": "same", **FULL, "hardware": ["AMPERE_48"]},
        {"id": "a", "name": "same", **FULL},
        {"id": "c", "name": "alpha", "workflow_id": "wf-1", "workflow_version": "v1"},
    ]
    found = live.from_api_list(objects)
    assert [(d.name, d.id) for d in found] == [("alpha", "c"), ("same", "a"), ("same", "b")]
    # list vs string hardware and omitted-vs-default fields give the same essence...
    assert dict(found[0].fields) == dict(found[1].fields) == dict(found[2].fields) == FULL
    # ...so the fingerprint depends only on id, name and essence.
    assert found[1].fingerprint != found[2].fingerprint  # different id
    assert found[1].fingerprint == live.fingerprint_of("a", "same", FULL)
    assert found[1].fingerprint.startswith("sha256:")


# -- diff_fields -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired", "current", "ignore", "expected"),
    [
        pytest.param(FULL, FULL, (), [], id="equal"),
        pytest.param({}, FULL, (), [], id="nothing-declared-nothing-compared"),
        pytest.param(
            {"min_instances": 2}, FULL, (), [("min_instances", 0, 2)], id="one-field",
        ),
        pytest.param(
            {**FULL, "max_instances": 3, "hardware": "AMPERE_80"},
            FULL,
            (),
            [("hardware", "AMPERE_48", "AMPERE_80"), ("max_instances", 1, 3)],
            id="display-order-is-catalog-order",
        ),
        pytest.param(
            dict(reversed(list({**FULL, "is_enabled": False, "workflow_id": "wf-2"}.items()))),
            FULL,
            (),
            [("workflow_id", "wf-1", "wf-2"), ("is_enabled", True, False)],
            id="insertion-order-of-desired-does-not-matter",
        ),
        pytest.param(
            {**FULL, "min_instances": 2, "queue_size": 5},
            FULL,
            ("min_instances",),
            [("queue_size", 1, 5)],
            id="ignored-field-never-diffs",
        ),
        pytest.param(
            {**FULL, "min_instances": 2},
            FULL,
            frozenset(catalog.MANAGED_FIELDS),
            [],
            id="everything-ignored",
        ),
        pytest.param(
            {"min_instances": 2},
            {},
            (),
            [("min_instances", None, 2)],
            id="missing-on-live-is-none",
        ),
        pytest.param(
            {"queue_size": 1},
            {"queue_size": 1, "status": "ready", "something_new": [1, 2]},
            (),
            [],
            id="live-only-fields-ignored-left-scope",
        ),
        pytest.param(
            {"custom": 1},
            {"custom": 2},
            (),
            [],
            id="unmanaged-field-never-compared",
        ),
        pytest.param(
            {"is_enabled": 1}, {"is_enabled": True}, (), [("is_enabled", True, 1)], id="int-1-vs-true-differs",
        ),
        pytest.param(
            {"min_instances": True}, {"min_instances": 1}, (), [("min_instances", 1, True)], id="true-vs-int-1-differs",
        ),
        pytest.param(
            {"is_enabled": 0}, {"is_enabled": False}, (), [("is_enabled", False, 0)], id="int-0-vs-false-differs",
        ),
        pytest.param(
            {"max_instances": 2.0}, {"max_instances": 2}, (), [("max_instances", 2, 2.0)], id="float-vs-int-differs",
        ),
        pytest.param(
            {"hardware": ["AMPERE_48"]}, {"hardware": "AMPERE_48"}, (), [("hardware", "AMPERE_48", ["AMPERE_48"])],
            id="unnormalised-list-vs-string-differs",
        ),
    ],
)
def test_diff_fields(
    desired: dict[str, Any], current: dict[str, Any], ignore: Any, expected: list[tuple[str, Any, Any]]
) -> None:
    result = diff.diff_fields(desired, current, ignore=ignore)
    assert as_tuples(result) == expected
    assert typed(result) == [(f, type(b), type(a)) for f, b, a in expected]


def test_diff_of_normalised_essences_is_empty_for_list_vs_string_hardware() -> None:
    desired = live.essence({**FULL, "hardware": "ADA_80_PLUS"})
    current = live.essence({**FULL, "hardware": ["ADA_80_PLUS"]})
    assert diff.diff_fields(desired, current) == []


def test_diff_of_omitted_live_fields_against_api_defaults_is_empty() -> None:
    desired = dict(FULL)
    current = live.essence({"workflow_id": "wf-1", "workflow_version": "v1"})
    assert diff.diff_fields(desired, current) == []


def test_field_diff_is_a_plain_named_tuple() -> None:
    item = diff.FieldDiff("queue_size", 1, 2)
    assert item == ("queue_size", 1, 2)
    assert (item.field, item.before, item.after) == ("queue_size", 1, 2)


def test_plan_against_live_that_omits_a_default_hardware_is_empty() -> None:
    from reconciler.diagnostics import Location
    from reconciler.engine import planner
    from reconciler.manifest.desired import DesiredDeployment, DesiredState
    from reconciler.manifest.model import SettingsSpec
    from reconciler.runcomfy import wire

    api = {"id": "d1", "name": "t2i", "workflow_id": "wf-1", "workflow_version": "v1"}  # all else defaulted
    current = live.from_api_list([wire.Deployment.model_validate(api).model_dump(mode="json")])
    desired = DesiredState(
        deployments=(DesiredDeployment(name="t2i", fields=dict(FULL), source=Location("t2i.yaml", 1, 1)),),
        presets={}, settings=SettingsSpec(), files=("t2i.yaml",),
    )
    plan, problems = planner.build_plan(desired, current)
    assert problems == []
    assert [(c.name, [tuple(f.model_dump().values()) for f in c.diff]) for c in plan.pending] == []
