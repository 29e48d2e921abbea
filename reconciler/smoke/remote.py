"""Checking smoke presets against what is deployed: the live workflow graph and its node schemas.

Effectful at the edges only: ``object_info`` is fetched through the injected ``fetch_object_info``
(the client's, in production) once per URL and cached on disk (``$COMFYOPS_CACHE_DIR/object_info/``,
else ``.comfyops/cache/object_info/``), so a second plan reads the file instead of the network; the
checks themselves are :func:`~reconciler.workflow.validate.validate_overrides`. Delete the cache
folder to refetch. A fetch or parse failure is a warning and the graph is still checked without
schemas. The ``plan`` command calls :func:`check_against_live` with the live payloads it listed.
An object_info read here (fetched or cached) is the deployment's own, so its file lists are
authoritative (:mod:`~reconciler.workflow.file_lists`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from reconciler import readfile, workspace
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.manifest.desired import DesiredDeployment, DesiredState
from reconciler.workflow import graph as workflow_graph
from reconciler.workflow import object_info as workflow_object_info
from reconciler.workflow.prompt import validate_workflow
from reconciler.workflow.provenance import DEPLOYMENT_ORIGIN, ObjectInfoSource
from reconciler.workflow.validate import validate_overrides

FetchObjectInfo = Callable[[str], Mapping[str, Any]]


class LivePayload(Protocol):
    """What a live deployment's payload offers (``LiveDeployment`` and ``wire.DeploymentPayload`` fit)."""

    @property
    def workflow_api_json(self) -> Mapping[str, Any] | None:
        """The deployed ``workflow_api.json``."""

    @property
    def object_info_url(self) -> str | None:
        """Where the deployment's ``/object_info`` can be fetched."""


def cache_dir() -> Path:
    """The download cache (:func:`reconciler.workspace.cache_dir`)."""
    return workspace.cache_dir()


def check_against_live(
    desired: DesiredState,
    live_payloads: Mapping[str, LivePayload],
    *,
    fetch_object_info: FetchObjectInfo,
    cache: Path | None = None,
) -> list[Diagnostic]:
    """Every problem of each deployment's smoke overrides against its live workflow and object_info.

    ``live_payloads`` maps a *desired deployment name* to the payload of the live deployment it
    matched (the plan does the matching). Deployments to delete, without a payload graph, or whose live
    ``workflow_version`` (when the payload carries ``fields``) differs from the manifest's are not
    checked: the deployed graph is not the one that will run after apply. A deployed graph is
    checked as ComfyUI checks a prompt (with the smoke overrides applied, if any) whenever its
    object_info can be read. Problems name the preset's ``file:line``, the node id, its class_type and title.
    """
    fetcher = _CachedFetcher(fetch_object_info, cache if cache is not None else cache_dir())
    diagnostics: list[Diagnostic] = []
    for d in desired.deployments:
        payload = live_payloads.get(d.name)
        if payload is None or d.is_absent:
            continue
        if payload.workflow_api_json is None or not _same_version(d, payload):
            continue
        diagnostics.extend(_check_one(d, payload, fetcher))
    return diagnostics


def object_info_for(
    url: str, *, fetch_object_info: FetchObjectInfo, cache: Path | None = None
) -> tuple[workflow_object_info.ObjectInfo | None, str]:
    """A deployment's object_info from ``url`` through the disk cache: (info, '') or (None, why not)."""
    return _CachedFetcher(fetch_object_info, cache if cache is not None else cache_dir()).get(url)


def _same_version(d: DesiredDeployment, payload: object) -> bool:
    fields = getattr(payload, "fields", None)
    if not isinstance(fields, Mapping) or "workflow_version" not in fields:
        return True
    return fields.get("workflow_version") == d.fields.get("workflow_version") and fields.get(
        "workflow_id", d.fields.get("workflow_id")
    ) == d.fields.get("workflow_id")


def _check_one(d: DesiredDeployment, payload: LivePayload, fetcher: _CachedFetcher) -> list[Diagnostic]:
    overrides = d.smoke_overrides if d.smoke_overrides is not None and d.smoke_overrides.values else None
    if overrides is None and not payload.object_info_url:
        return []  # nothing to check the graph's values against
    where = f"deployed workflow of {d.name!r}"
    try:
        graph = workflow_graph.parse_workflow(payload.workflow_api_json, source=where)
    except workflow_graph.WorkflowFormatError as exc:
        return [_warning(d, f"the {where} cannot be read ({exc.summary}); presets not checked against it")]
    problems: list[Diagnostic] = []
    info = None
    if payload.object_info_url:
        info, problem = fetcher.get(payload.object_info_url)
        if problem:
            problems.append(_warning(d, f"object_info of deployment {d.name!r} unavailable: {problem}; "
                                        "checked against the workflow graph only"))
    if overrides is not None:
        problems += validate_overrides(
            overrides.values, graph, object_info=info, locate=overrides.locate, context="overrides",
            whole_workflow=False,
        )
    if info is not None:
        values = overrides.values if overrides is not None else None
        at = d.field_locations.get("workflow_version") or d.source
        problems += validate_workflow(graph, info, values, where=at, field_path="spec.workflow_version")
    return problems


def _warning(d: DesiredDeployment, message: str) -> Diagnostic:
    return Diagnostic(message, d.source, "spec.smoke", severity=Severity.WARNING)


class _CachedFetcher:
    """object_info by URL: from memory, else from the disk cache, else fetched once and stored."""

    def __init__(self, fetch: FetchObjectInfo, root: Path) -> None:
        self._fetch = fetch
        self._root = root / "object_info"
        self._memo: dict[str, tuple[workflow_object_info.ObjectInfo | None, str]] = {}

    def get(self, url: str) -> tuple[workflow_object_info.ObjectInfo | None, str]:
        """The parsed object_info and '' on success, else None and why."""
        if url not in self._memo:
            self._memo[url] = self._load(url)
        return self._memo[url]

    def _path(self, url: str) -> Path:
        # The URL may carry a signature: only its digest is written to disk, never the URL itself.
        return self._root / f"{hashlib.sha256(url.encode()).hexdigest()[:40]}.json"

    def _load(self, url: str) -> tuple[workflow_object_info.ObjectInfo | None, str]:
        path = self._path(url)
        data: Any = None
        if path.is_file():
            try:
                data = readfile.parse_json(readfile.read_text(path, limit=readfile.OBJECT_INFO_LIMIT))
            except (readfile.FileProblem, ValueError):
                data = None  # a damaged (or oversized, or not regular) cache entry is refetched
        if data is None:
            try:
                data = dict(self._fetch(url))
            except Exception as exc:  # the fetcher's own errors (ApiError) and anything odd it raises
                return None, str(getattr(exc, "summary", exc))
            self._store(path, data)
        try:
            info = workflow_object_info.parse_object_info(data, source="live object_info")
            return dataclasses.replace(info, provenance=ObjectInfoSource(DEPLOYMENT_ORIGIN)), ""
        except workflow_object_info.ObjectInfoFormatError as exc:
            return None, exc.summary

    @staticmethod
    def _store(path: Path, data: Any) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # caching is an optimisation; a read-only disk must not fail the plan
