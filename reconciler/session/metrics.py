"""Prometheus metrics of reconcile passes, API requests and smoke tests (prometheus_client).

Effectful shell (it serves, writes or pushes). Names follow the anchors' (Argo CD ``argocd_app_info``, Flux
``gotk_reconcile_duration_seconds``):

- ``comfyops_deployment_info{environment,name,sync_status,status,hardware}``: 1 per deployment (Synced,
  OutOfSync, Missing, Unmanaged);
- ``comfyops_reconcile_duration_seconds{environment}`` (histogram), ``comfyops_reconcile_total{environment,result}``
  (result: in_sync, drift, healed, heal_failed, error);
- ``comfyops_drift_fields{environment,name}``: fields that differ now; ``comfyops_heal_total{environment,name,result}``;
- ``comfyops_api_requests_total{method,route,code}`` and ``comfyops_api_rate_limited_total`` (429 answers), fed by
  :class:`ApiObserver`, which the one RunComfy client calls for every response (an injected hook, not a global);
- ``comfyops_smoke_total{environment,name,result}``, ``comfyops_smoke_duration_seconds{environment}``.

Every metric lives in the registry of one :class:`Metrics` value, never the process-global default one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, push_to_gateway, start_http_server
from prometheus_client import write_to_textfile as _write_to_textfile

from reconciler.engine.drift import DeploymentDrift, DriftKind, DriftReport
from reconciler.smoke.report import SmokeReport

_DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, float("inf"))


class Metrics:
    """The metrics of one comfyops process, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.deployment_info = Gauge(
            "comfyops_deployment_info", "One per deployment: its sync status, API status and hardware.",
            ["environment", "name", "sync_status", "status", "hardware"], registry=r,
        )
        self.reconcile_duration = Histogram(
            "comfyops_reconcile_duration_seconds", "How long a reconcile pass took.", ["environment"],
            buckets=_DURATION_BUCKETS, registry=r,
        )
        self.reconcile_total = Counter(
            "comfyops_reconcile", "Reconcile passes by result.", ["environment", "result"], registry=r
        )
        self.drift_fields = Gauge(
            "comfyops_drift_fields", "Fields of a deployment that differ from git now (0: in sync).",
            ["environment", "name"], registry=r,
        )
        self.heal_total = Counter(
            "comfyops_heal", "Heal attempts per deployment by result (healed, failed).",
            ["environment", "name", "result"], registry=r,
        )
        self.api_requests = Counter(
            "comfyops_api_requests", "RunComfy API responses by method, route and status code.",
            ["method", "route", "code"], registry=r,
        )
        self.api_rate_limited = Counter(
            "comfyops_api_rate_limited", "RunComfy API answers 429 Too Many Requests.", registry=r
        )
        self.smoke_total = Counter(
            "comfyops_smoke", "Smoke tests by result.", ["environment", "name", "result"], registry=r
        )
        self.smoke_duration = Histogram(
            "comfyops_smoke_duration_seconds", "How long a smoke test took (submit to checked result).",
            ["environment"], buckets=_DURATION_BUCKETS, registry=r,
        )

    def record_drift(
        self, environment: str, report: DriftReport, hardware: dict[str, str], healed: Collection[str] = ()
    ) -> None:
        """Replace the per-deployment gauges with the state after a pass: what ``report`` found, less what heal
        restored (``healed``); ``hardware`` maps name -> SKU and ``status`` name -> the API's status."""
        self.deployment_info.clear()
        self.drift_fields.clear()
        for name in report.in_sync:
            self.deployment_info.labels(environment, name, "Synced", "", hardware.get(name, "")).set(1)
            self.drift_fields.labels(environment, name).set(0)
        for entry in report.deployments:
            status = entry.status or ""
            sync = "Synced" if entry.name in healed else _sync_status(entry)
            self.deployment_info.labels(environment, entry.name, sync, status, hardware.get(entry.name, "")).set(1)
            count = 0 if sync == "Synced" else max(len(entry.fields), 1)
            self.drift_fields.labels(environment, entry.name).set(count)

    def record_pass(self, environment: str, result: str, seconds: float) -> None:
        """Count one pass and its duration."""
        self.reconcile_total.labels(environment, result).inc()
        self.reconcile_duration.labels(environment).observe(seconds)

    def record_heal(self, environment: str, name: str, ok: bool) -> None:
        """Count one deployment's heal."""
        self.heal_total.labels(environment, name, "healed" if ok else "failed").inc()

    def record_smoke(self, environment: str, report: SmokeReport) -> None:
        """Count each smoke test and its duration."""
        for result in report.results:
            self.smoke_total.labels(environment, result.name, result.status.value).inc()
            if result.duration_seconds is not None:
                self.smoke_duration.labels(environment).observe(result.duration_seconds)

    def observer(self) -> ApiObserver:
        """The hook to give the RunComfy client so its responses are counted here."""
        return ApiObserver(self)


def _sync_status(entry: DeploymentDrift) -> str:
    return {DriftKind.MISSING: "Missing", DriftKind.UNMANAGED: "Unmanaged", DriftKind.ERROR: "Synced"}.get(
        entry.kind, "OutOfSync"
    )


_ID_AFTER = frozenset({"deployments", "requests", "instances", "workflows"})


def route_of(path: str) -> str:
    """An API path with its ids templated, so the ``route`` label stays bounded: ``/prod/v2/deployments/{id}``."""
    parts = [p for p in path.split("/") if p]
    out: list[str] = []
    for index, part in enumerate(parts):
        before = parts[index - 1] if index else ""
        if before == "proxy":
            out.append("{path}")
            break
        out.append("{id}" if before in _ID_AFTER else part)
    return "/" + "/".join(out)


class ApiObserver:
    """Counts each RunComfy API response (method, route, code) and each 429; give it to the client's builder."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def __call__(self, method: str, path: str, code: int) -> None:
        """Record one response."""
        self._metrics.api_requests.labels(method, route_of(path), str(code)).inc()
        if code == 429:
            self._metrics.api_rate_limited.inc()


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9464`` for IPv6) -> (host, port); a clear error otherwise."""
    match = re.fullmatch(r"\[?([^\]]*?)\]?:(\d{1,5})", text.strip())
    if match is None or int(match.group(2)) > 65535:
        raise ValueError(f"{text!r} is not host:port, e.g. 127.0.0.1:9464")
    return match.group(1) or "0.0.0.0", int(match.group(2))


class Server:
    """The ``/metrics`` endpoint of a watching process, stopped with :meth:`stop`."""

    def __init__(self, metrics: Metrics, address: str) -> None:
        host, port = parse_address(address)
        server, thread = start_http_server(port, addr=host, registry=metrics.registry)
        self._server: WSGIServer = server
        self._thread: threading.Thread = thread

    @property
    def url(self) -> str:
        """Where it serves, with the port the OS chose when 0 was asked."""
        host, port = self._server.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{shown}:{port}/metrics"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def write_textfile(metrics: Metrics, path: Path) -> None:
    """Write the metrics in the node-exporter textfile format, atomically (temp file, then rename)."""
    _write_to_textfile(str(path), metrics.registry)


def push(metrics: Metrics, url: str, environment: str, timeout: float = 10.0) -> None:
    """Push the metrics to a Pushgateway at ``url`` (job ``comfyops``, grouped by environment)."""
    push_to_gateway(url, job="comfyops", registry=metrics.registry, grouping_key={"environment": environment},
                    timeout=timeout)
