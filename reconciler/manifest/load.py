"""Loading manifests into a DesiredState, reporting every problem in every file at once.

Effectful only in reading files (manifests, the workflow files they name, object_info beside them).
Steps: find files; parse YAML with positions (once; a file a folder walk found is skipped only when that
parse shows it is someone else's, see ``manifest.ownership``); check each document's shape, apiVersion and kind;
substitute ``${VAR}``; validate with the strict models (this module); then the checks that span
documents (``manifest.assemble``). The result is a DesiredState, or the list of located problems.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from reconciler import readfile
from reconciler.diagnostics import Diagnostic, Location, did_you_mean, sorted_diagnostics
from reconciler.manifest import assemble, environments, files, interpolate, messages, ownership, source
from reconciler.manifest.desired import DesiredState
from reconciler.manifest.model import API_VERSION, DOCUMENT_MODELS, KINDS
from reconciler.manifest.parsed import ParsedDocument, PartialDocument
from reconciler.manifest.scalars import shown
from reconciler.manifest.source import Document


@dataclass
class LoadResult:
    """What loading produced: the desired state when there were no errors, and every problem found."""

    state: DesiredState | None
    problems: list[Diagnostic]
    skipped: list[str] = field(default_factory=list)
    """YAML files a folder walk found that hold no comfyops document (shown under -v)."""
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


@dataclass
class ReadManifests:
    """Every manifest under some paths, parsed and each document checked on its own: what every
    environment's resolution starts from (read once, resolved once per environment)."""

    paths: tuple[str, ...]
    found: list[Path]
    skipped: list[str]
    documents: list[Document]
    parsed: list[ParsedDocument]
    partial: list[PartialDocument]
    secrets: set[str]
    variables: dict[str, str]
    problems: list[Diagnostic]
    fingerprint: str = ""
    """A digest of the documents as written (``DesiredState.source_fingerprint``)."""


def load_manifests(
    paths: Iterable[str | Path],
    *,
    env: Mapping[str, str],
    environment: str | None = None,
    now: datetime | None = None,
) -> LoadResult:
    """Load every manifest under ``paths`` (files or folders) with ``env`` for ``${VAR}`` values, resolved
    for the Environment named ``environment`` (the base manifests when None); ``ignore_changes`` rules whose
    ``until`` is before ``now`` (default: the clock) have expired."""
    return resolve_environment(read_manifests(paths, env=env), environment, now=now)


def read_manifests(paths: Iterable[str | Path], *, env: Mapping[str, str]) -> ReadManifests:
    """Find, read and parse every manifest under ``paths``, substitute ``${VAR}`` from ``env`` and check
    each document on its own; :func:`resolve_environment` then makes one environment's state of it."""
    given = tuple(str(p) for p in paths)
    collected = files.collect_all(given)
    problems = collected.problems
    found: list[Path] = []
    skipped: list[str] = []
    documents: list[Document] = []
    for file in collected.files:
        shown_path = files.display_path(file)
        text, file_problems = source.read_text(file, shown_path)
        file_documents: list[Document] = []
        if text is None:
            if file not in collected.explicit and not _may_be_manifest(file):
                skipped.append(shown_path)  # not UTF-8 or too large, and read to the end it holds none of ours
                continue
        elif file in collected.explicit:
            file_documents, file_problems = source.documents_of(text, shown_path)
        else:
            file_documents, file_problems = source.parse_documents(text, shown_path)
            if not ownership.is_ours((d.data for d in file_documents), parse_failed=bool(file_problems), text=text):
                skipped.append(shown_path)  # a docker-compose file, a CI workflow, a test fixture
                continue
        found.append(file)
        documents.extend(file_documents)
        problems.extend(file_problems)
    sensitive_names = declared_sensitive_variables(documents)
    parsed: list[ParsedDocument] = []
    partial: list[PartialDocument] = []
    secrets: set[str] = set()
    variables: dict[str, str] = {}
    for doc in documents:
        item, doc_problems, result = _parse_document(doc, env, sensitive_names)
        problems.extend(doc_problems)
        if result is not None:
            secrets.update(result.secret_values)
            variables.update(result.variables)
        if isinstance(item, ParsedDocument):
            parsed.append(item)
        elif item is not None:
            partial.append(item)
    return ReadManifests(given, found, skipped, documents, parsed, partial, secrets, variables, problems,
                         _source_fingerprint(documents))


def resolve_environment(read: ReadManifests, environment: str | None, *, now: datetime | None = None) -> LoadResult:
    """The desired state for the Environment named ``environment`` (the base manifests when None), with
    every problem found reading and resolving the manifests; ``read`` is left as it was. ``ignore_changes``
    rules whose ``until`` is before ``now`` (default: the clock) have expired."""
    found, skipped, parsed = read.found, read.skipped, read.parsed
    partial, secrets, variables, paths = read.partial, read.secrets, read.variables, read.paths
    problems = list(read.problems)
    if not found and not problems:
        what = f"no manifest files (*.yaml, *.yml with apiVersion: {API_VERSION}) found"
        if skipped:
            what += f"; skipped {len(skipped)} YAML file{'s' if len(skipped) != 1 else ''} without one"
        problems.append(Diagnostic(what, Location(", ".join(map(str, paths)))))
    resolution = environments.documents_for(parsed, environment)
    problems.extend(resolution.problems)
    state, assembly_problems = assemble.assemble(
        resolution.documents, [files.display_path(f) for f in found], frozenset(secrets), partial=partial,
        now=now if now is not None else datetime.now(UTC),
    )
    state = replace(
        state,
        variable_fingerprints=variables,
        source_fingerprint=read.fingerprint,
        skipped_files=tuple(skipped),
        environment=resolution.environment,
        policy_paths=resolution.policy_paths,
        foreign_ids=resolution.foreign_ids,
        documents=tuple(resolution.documents),
    )
    problems.extend(assembly_problems)
    problems = [messages.without_secrets(p, secrets) for p in sorted_diagnostics(problems)]
    has_errors = any(p.is_error for p in problems)
    return LoadResult(
        state=None if has_errors else state,
        problems=problems,
        skipped=skipped,
        environments=resolution.names,
        documents=resolution.documents,
    )


PEEK_LIMIT = 64 * 1024 * 1024
"""How much of a walked YAML file that cannot be read as a manifest (not UTF-8, too large) is scanned."""


def _may_be_manifest(file: Path) -> bool:
    """Whether a walked file that is not UTF-8 or too large may hold a comfyops document (its problem stands).

    Scanned as YAML (decoded leniently, up to :data:`PEEK_LIMIT`): read to the end without a document of
    ours, it is someone else's data file; cut short, it is ours unless plainly someone else's
    (:mod:`reconciler.manifest.ownership`). One that cannot be read at all (permissions, a FIFO) may be ours.
    """
    try:
        data = readfile.read_bytes(file, limit=PEEK_LIMIT)
    except readfile.FileProblem:
        return True
    return ownership.is_ours_unreadable(data.decode("utf-8", "replace").removeprefix("\ufeff"))


def declared_sensitive_variables(documents: Iterable[Document]) -> frozenset[str]:
    """The names listed in any Settings document's ``spec.sensitive_variables`` (or an Environment's
    ``spec.settings.sensitive_variables``: a secret of one environment is masked in all), read before
    substitution."""
    names: set[str] = set()
    for doc in documents:
        kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
        spec = doc.data.get("spec") if kind in ("Settings", "Environment") else None
        if kind == "Environment" and isinstance(spec, dict):
            spec = spec.get("settings")
        listed = spec.get("sensitive_variables") if isinstance(spec, dict) else None
        if isinstance(listed, list):
            names.update(str(name) for name in listed)
    return frozenset(names)


def _source_fingerprint(documents: list[Document]) -> str:
    text = json.dumps([[d.path, d.index, d.data if d.str_keys else _sortable(d.data)] for d in documents],
                      sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _sortable(value: object) -> object:
    """The value with every non-string mapping key made a string that cannot equal a string key, so that
    `sort_keys` never compares an int with a str (YAML allows `7:` beside `"6":`)."""
    if isinstance(value, dict):
        return {
            (key if isinstance(key, str) else f"\x00{type(key).__name__}:{key}"): _sortable(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_sortable(item) for item in value]
    return value


def _parse_document(
    doc: Document, env: Mapping[str, str], sensitive_names: Collection[str]
) -> tuple[ParsedDocument | PartialDocument | None, list[Diagnostic], interpolate.Interpolation | None]:
    """The document validated, else what its cross-references are (for the checks that span documents)."""
    if not isinstance(doc.data, dict):
        shape = "a list" if isinstance(doc.data, list) else f"a {type(doc.data).__name__} value"
        return (
            None,
            [
                Diagnostic(
                    f"document {doc.index + 1} is {shape}; a manifest document must be a mapping",
                    doc.start,
                    "",
                    f"start it with apiVersion: {API_VERSION}, kind: {'|'.join(KINDS)}",
                )
            ],
            None,
        )
    header = _check_header(doc)
    if header:
        return None, header, None
    result = interpolate.interpolate(doc, env, sensitive_names=sensitive_names)
    if result.problems:  # validating half-substituted values would only add confusing follow-on errors
        return PartialDocument.from_data(doc, doc.data), result.problems, result
    model_cls = DOCUMENT_MODELS[doc.data["kind"]]
    try:
        model = model_cls.model_validate(result.data)
    except ValidationError as exc:
        found = messages.diagnostics_from(exc, doc, model_cls, sensitive_paths=result.sensitive_paths)
        return PartialDocument.from_data(doc, result.data), [*result.problems, *found], result
    item = ParsedDocument(doc=doc, model=model, sensitive_paths=result.sensitive_paths)
    return item, result.problems, result


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
                f"unknown apiVersion {shown(version)}; expected {API_VERSION!r}",
                doc.locate(("apiVersion",)),
                "apiVersion",
                (not str(version).startswith("comfyops/") and did_you_mean(str(version), [API_VERSION]))
                or f"use apiVersion: {API_VERSION}",
            )
        )
    kind = doc.data.get("kind")
    if kind is None:
        problems.append(Diagnostic("required field is missing", doc.start, "kind", f"one of {', '.join(KINDS)}"))
    elif kind not in KINDS:
        hint = did_you_mean(str(kind), KINDS) or f"one of {', '.join(KINDS)}"
        problems.append(Diagnostic(f"unknown kind {shown(kind)}", doc.locate(("kind",)), "kind", hint))
    return problems


__all__ = ["LoadResult", "ReadManifests", "load_manifests", "read_manifests", "resolve_environment"]
