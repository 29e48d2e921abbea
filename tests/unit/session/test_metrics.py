"""Metric names and labels, the API route template, and the textfile format."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.engine.drift import DeploymentDrift, DriftedField, DriftKind, DriftReport
from reconciler.session import metrics


@pytest.mark.parametrize(("path", "route"), [
    ("/prod/v2/deployments", "/prod/v2/deployments"),
    ("/prod/v2/deployments/3f1c-uuid", "/prod/v2/deployments/{id}"),
    ("/prod/v1/deployments/3f1c/requests/r-9/status", "/prod/v1/deployments/{id}/requests/{id}/status"),
    ("/prod/v2/deployments/3f1c/instances/i-1/proxy/api/free", "/prod/v2/deployments/{id}/instances/{id}/proxy/{path}"),
])
def test_routes_template_ids_so_label_values_stay_few(path: str, route: str) -> None:
    assert metrics.route_of(path) == route


def test_addresses_parse_or_fail_clearly() -> None:
    assert metrics.parse_address("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert metrics.parse_address("[::1]:0") == ("::1", 0)
    assert metrics.parse_address(":9464") == ("0.0.0.0", 9464)
    with pytest.raises(ValueError, match="host:port"):
        metrics.parse_address("9464")


def test_the_textfile_holds_the_issue_s_metric_names(tmp_path: Path) -> None:
    m = metrics.Metrics()
    observer = m.observer()
    observer("GET", "/prod/v2/deployments", 200)
    observer("PATCH", "/prod/v2/deployments/abc", 429)
    report = DriftReport(checked_at="2026-12-06T00:00:00+00:00", in_sync=["b"], deployments=[
        DeploymentDrift(name="a", kind=DriftKind.DRIFTED, fields=[DriftedField(field="min_instances")]),
        DeploymentDrift(name="c", kind=DriftKind.MISSING),
    ])
    m.record_drift("prod", report, {"a": "AMPERE_48"}, healed=["a"])
    m.record_pass("prod", "healed", 1.5)
    m.record_heal("prod", "a", ok=True)
    path = tmp_path / "comfyops.prom"
    metrics.write_textfile(m, path)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(path.read_text()) for s in f.samples}
    info = {dict(k[1])["name"]: dict(k[1])["sync_status"] for k in samples if k[0] == "comfyops_deployment_info"}
    assert info == {"a": "Synced", "b": "Synced", "c": "Missing"}
    assert samples[("comfyops_drift_fields", (("environment", "prod"), ("name", "c")))] == 1
    assert samples[("comfyops_api_rate_limited_total", ())] == 1
    assert samples[("comfyops_api_requests_total", (("code", "429"), ("method", "PATCH"),
                                                    ("route", "/prod/v2/deployments/{id}")))] == 1
    assert samples[("comfyops_reconcile_total", (("environment", "prod"), ("result", "healed")))] == 1
    assert samples[("comfyops_reconcile_duration_seconds_count", (("environment", "prod"),))] == 1
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically: no temp file left
