"""An in-memory RunComfy deployments API behind ``httpx.MockTransport``, for engine tests that count calls."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from reconciler import catalog
from reconciler.runcomfy.client import RunComfyClient
from reconciler.runcomfy.http import build_http_client
from reconciler.runcomfy.ratelimit import TokenBucket

DEPLOYMENTS = "/prod/v2/deployments"
BASE = "https://api.fake.test"
Call = tuple[str, str, Any]


class FakeDeploymentsApi:
    """An in-memory RunComfy account behind ``httpx.MockTransport``: list/create/patch/delete.

    Shapes follow the API: ``hardware`` is returned as a one-element list, omitted create fields
    take the API defaults, a PATCH without ``name`` or with ``workflow_id`` is a 422001. Every request
    is recorded as ``(method, path, json body or None)``. ``fail`` maps ``(method, deployment name)``
    to an HTTP status to answer instead; ``ignore_patch_fields`` are accepted and silently dropped.
    """

    def __init__(
        self,
        records: Iterable[Mapping[str, Any]] = (),
        *,
        fail: Mapping[tuple[str, str], int] | None = None,
        ignore_patch_fields: Iterable[str] = (),
    ) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        for record in records:
            self.records[record["id"]] = self._stored(dict(record))
        self.calls: list[Call] = []
        self.fail = dict(fail or {})
        self.ignore_patch_fields = frozenset(ignore_patch_fields)
        self._next_id = 0

    @staticmethod
    def _stored(record: dict[str, Any]) -> dict[str, Any]:
        if "hardware" in record:
            hw = record["hardware"]
            record["hardware"] = list(hw) if isinstance(hw, list | tuple) else [hw]
        return record

    @property
    def mutating_calls(self) -> list[Call]:
        return [c for c in self.calls if c[0] in ("POST", "PATCH", "DELETE")]

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, request.url.path, body))
        path = request.url.path
        if path == DEPLOYMENTS and request.method == "GET":
            return httpx.Response(200, json=[self._view(r) for r in self.records.values()])
        if path == DEPLOYMENTS and request.method == "POST":
            return self._create(body)
        if path.startswith(DEPLOYMENTS + "/"):
            record = self.records.get(path.removeprefix(DEPLOYMENTS + "/"))
            if record is None:
                return _error(404, 404001, "Deployment not found")
            failure = self.fail.get((request.method, record["name"]))
            if failure is not None:
                return _error(failure, failure * 1000 + 1, f"injected {failure}")
            if request.method == "PATCH":
                return self._patch(record, body)
            if request.method == "DELETE":
                del self.records[record["id"]]
                return httpx.Response(200, json={"id": record["id"], "status": "deleted"})
        return _error(404, 404001, f"no route {request.method} {path}")

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        failure = self.fail.get(("POST", body.get("name", "")))
        if failure is not None:
            return _error(failure, failure * 1000 + 1, f"injected {failure}")
        self._next_id += 1
        record = {
            "id": f"new-{self._next_id}",
            "hardware": [catalog.DEFAULT_HARDWARE],
            "min_instances": catalog.DEFAULT_MIN_INSTANCES,
            "max_instances": catalog.DEFAULT_MAX_INSTANCES,
            "queue_size": catalog.DEFAULT_QUEUE_SIZE,
            "keep_warm_duration_in_seconds": catalog.DEFAULT_KEEP_WARM_SECONDS,
            **{k: v for k, v in body.items() if k != "is_enabled"},
            "is_enabled": True,  # the create body has no is_enabled: a new deployment starts enabled
        }
        self.records[record["id"]] = self._stored(record)
        return httpx.Response(201, json=self._view(record))

    def _patch(self, record: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        if "name" not in body:
            return _error(422, 422001, "Deployment name is required")
        if "workflow_id" in body:
            return _error(422, 422001, "workflow_id cannot be changed")
        record.update(self._stored({k: v for k, v in body.items() if k not in self.ignore_patch_fields}))
        return httpx.Response(200, json=self._view(record))

    @staticmethod
    def _view(record: Mapping[str, Any]) -> dict[str, Any]:
        return {**copy.deepcopy(dict(record)), "status": "ready"}


def _error(status: int, code: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "error_message": message})


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"apply tried to sleep {seconds}s in a test whose fake never asks it to")


def client_for(fake: FakeDeploymentsApi) -> RunComfyClient:
    http = build_http_client(base_url=BASE, token="test-token-0000", transport=httpx.MockTransport(fake.handle))
    return RunComfyClient(http, limiter=TokenBucket(1e6, 1_000_000, sleep=_no_sleep), sleep=_no_sleep)


