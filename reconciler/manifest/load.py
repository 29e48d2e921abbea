"""Loading manifests into a DesiredState, reporting every problem in every file at once.

Effectful only in reading files (manifests, the workflow files they name, object_info beside them).
Steps: find files; parse YAML with positions; check each document's shape, apiVersion and kind;
substitute ``${VAR}``; validate with the strict models (this module); then the checks that span
documents (``manifest.assemble``). The result is a DesiredState, or the list of located problems.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from reconciler.diagnostics import Diagnostic, Location, did_you_mean, sorted_diagnostics
from reconciler.manifest import assemble, environments, files, interpolate, messages, source
from reconciler.manifest.desired import DesiredState
from reconciler.manifest.model import API_VERSION, DOCUMENT_MODELS, KINDS
from reconciler.manifest.parsed import ParsedDocument
from reconciler.manifest.source import Document


@dataclass
class LoadResult:
    """What loading produced: the desired state when there were no errors, and every problem found."""

    state: DesiredState | None
    problems: list[Diagnostic]
    environments: tuple[str, ...] = ()
    """Names of the Environment documents found (empty when there are none)."""
    documents: list[ParsedDocument] = field(default_factory=list)
    """The documents after environment resolution (for ``validate --print``)."""

    @property
    def errors(self) -> list[Diagnostic]:
        """The problems that make the manifests invalid."""
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The problems worth printing that do not stop the command."""
        return [p for p in self.problems if not p.is_error]


def load_manifests(
    paths: Iterable[str | Path], *, env: Mapping[str, str], environment: str | None = None
) -> LoadResult:
    """Load every manifest under ``paths`` (files or folders) with ``env`` for ``${VAR}`` values, resolved
    for the Environment named ``environment`` (the base manifests when None)."""
    found, problems = files.collect(paths)
    parsed: list[ParsedDocument] = []
    secrets: set[str] = set()
    for file in found:
        documents, file_problems = source.read_documents(file, files.display_path(file))
        problems.extend(file_problems)
        for doc in documents:
            item, doc_problems, doc_secrets = _parse_document(doc, env)
            problems.extend(doc_problems)
            secrets.update(doc_secrets)
            if item is not None:
                parsed.append(item)
    if not found and not problems:
        problems.append(Diagnostic("no manifest files (*.yaml, *.yml) found", Location(", ".join(map(str, paths)))))
    resolution = environments.resolve(parsed, environment)
    problems.extend(resolution.problems)
    state, assembly_problems = assemble.assemble(
        resolution.documents, [files.display_path(f) for f in found], frozenset(secrets)
    )
    state = dataclasses.replace(
        state,
        environment=resolution.environment,
        policy_paths=resolution.policy_paths,
        documents=tuple(resolution.documents),
    )
    problems.extend(assembly_problems)
    problems = sorted_diagnostics(problems)
    has_errors = any(p.is_error for p in problems)
    return LoadResult(
        state=None if has_errors else state,
        problems=problems,
        environments=resolution.names,
        documents=resolution.documents,
    )


def _parse_document(doc: Document, env: Mapping[str, str]) -> tuple[ParsedDocument | None, list[Diagnostic], set[str]]:
    if not isinstance(doc.data, dict):
        shape = "a list" if isinstance(doc.data, list) else f"a {type(doc.data).__name__} value"
        return (
            None,
            [
                Diagnostic(
                    f"document {doc.index + 1} is {shape}; a manifest document must be a mapping",
                    doc.start,
                    "",
                    f"start it with apiVersion: {API_VERSION}, kind: Deployment|OverridePreset|Settings",
                )
            ],
            set(),
        )
    header = _check_header(doc)
    if header:
        return None, header, set()
    result = interpolate.interpolate(doc, env)
    if result.problems:  # validating half-substituted values would only add confusing follow-on errors
        return None, result.problems, result.secret_values
    model_cls = DOCUMENT_MODELS[doc.data["kind"]]
    try:
        model = model_cls.model_validate(result.data)
    except ValidationError as exc:
        return None, [*result.problems, *messages.diagnostics_from(exc, doc, model_cls)], result.secret_values
    item = ParsedDocument(doc=doc, model=model, sensitive_paths=result.sensitive_paths)
    return item, result.problems, result.secret_values


def _check_header(doc: Document) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    version = doc.data.get("apiVersion")
    if version is None:
        problems.append(
            Diagnostic("required field is missing", doc.start, "apiVersion", f"add apiVersion: {API_VERSION}")
        )
    elif version != API_VERSION:
        problems.append(
            Diagnostic(
                f"unknown apiVersion {version!r}; expected {API_VERSION!r}",
                doc.locate(("apiVersion",)),
                "apiVersion",
                f"use apiVersion: {API_VERSION}",
            )
        )
    kind = doc.data.get("kind")
    if kind is None:
        problems.append(Diagnostic("required field is missing", doc.start, "kind", f"one of {', '.join(KINDS)}"))
    elif kind not in KINDS:
        hint = did_you_mean(str(kind), KINDS) or f"one of {', '.join(KINDS)}"
        problems.append(Diagnostic(f"unknown kind {kind!r}", doc.locate(("kind",)), "kind", hint))
    return problems


__all__ = ["LoadResult", "load_manifests"]
