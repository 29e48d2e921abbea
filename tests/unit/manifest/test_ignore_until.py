"""`ignore_changes` entries with `until`: the field is ignored until then, counts again after, reports say so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.manifest.load import load_manifests
from reconciler.manifest.model import expiry_instant

DOC = """\
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: a}}
spec:
  workflow_id: wf
  workflow_version: v1
  ignore_changes:
{rules}
"""


def _load(tmp_path: Path, rules: str, now: datetime):
    (tmp_path / "m.yaml").write_text(DOC.format(rules=rules))
    return load_manifests([tmp_path], env={}, now=now)


@pytest.mark.parametrize(("until", "instant"), [
    ("2026-12-31", datetime(2027, 1, 1, tzinfo=UTC)),  # a date holds through that day
    ("2026-12-31T18:00Z", datetime(2026, 12, 31, 18, tzinfo=UTC)),
    ("2026-12-31T18:00", datetime(2026, 12, 31, 18, tzinfo=UTC)),  # no zone: UTC
    ("2026-12-31T20:00+02:00", datetime(2026, 12, 31, 18, tzinfo=UTC)),
])
def test_until_means_an_instant_in_utc(until: str, instant: datetime) -> None:
    assert expiry_instant(until) == instant


def test_a_rule_holds_until_its_instant_and_then_expires(tmp_path: Path) -> None:
    rules = '    - {field: min_instances, until: "2026-12-31", reason: load test}\n    - queue_size'
    before = _load(tmp_path, rules, datetime(2026, 12, 31, 23, 59, tzinfo=UTC)).state
    assert before is not None
    (a,) = before.deployments
    assert a.ignore_changes == {"min_instances", "queue_size"} and a.expired_ignores == ()
    after = _load(tmp_path, rules, datetime(2027, 1, 1, tzinfo=UTC)).state
    assert after is not None
    (a,) = after.deployments
    assert a.ignore_changes == {"queue_size"}
    assert [e.describe() for e in a.expired_ignores] == [
        "ignore_changes rule for min_instances expired 2026-12-31 (load test): the field counts again"]


def test_a_bad_until_is_a_located_error(tmp_path: Path) -> None:
    result = _load(tmp_path, '    - {field: min_instances, until: "next week"}', datetime(2026, 12, 6, tzinfo=UTC))
    assert result.state is None
    (problem,) = result.errors
    assert problem.format().endswith("m.yaml:8:30: spec.ignore_changes[0].until: 'next week' is not a date "
                                     "(2026-12-31) or a date and time (2026-12-31T18:00Z)")


def test_a_bad_cron_window_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  drift: {mode: heal, windows: ['61 * * * *']}\n")
    (tmp_path / "m.yaml").write_text(DOC.format(rules="    - queue_size"))
    result = load_manifests([tmp_path], env={})
    assert result.state is None
    assert any("s.yaml:4" in p.format() and "not a cron expression" in p.format() for p in result.errors), [
        p.format() for p in result.errors]


def test_drift_mode_is_set_per_environment_over_settings(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("apiVersion: comfyops/v1\nkind: Settings\nspec:\n  drift: {mode: report}\n")
    (tmp_path / "e.yaml").write_text(
        "apiVersion: comfyops/v1\nkind: Environment\nmetadata: {name: prod}\nspec:\n"
        "  name_suffix: -prod\n  settings: {drift: {mode: heal, windows: ['* 9-16 * * 1-5']}}\n---\n"
        "apiVersion: comfyops/v1\nkind: Environment\nmetadata: {name: staging}\nspec: {name_suffix: -staging}\n")
    (tmp_path / "m.yaml").write_text(DOC.format(rules="    - queue_size"))
    prod = load_manifests([tmp_path], env={}, environment="prod").state
    staging = load_manifests([tmp_path], env={}, environment="staging").state
    assert prod is not None and staging is not None
    assert (prod.settings.drift.mode, prod.settings.drift.windows) == ("heal", ["* 9-16 * * 1-5"])
    assert staging.settings.drift.mode == "report"
