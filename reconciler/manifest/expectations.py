"""A deployment's smoke expectations checked before any run: goldens readable, outputs that exist.

Effectful only in reading the golden pictures a manifest names (as ``workflows`` reads workflow files);
Pillow is imported only when a manifest declares a golden.

- ``similar_to`` paths resolve against the manifest's folder and must stay inside its repository (the
  nearest folder with ``.git``, else the working directory), symbolic links followed: goldens are
  written there by ``smoke --update-goldens``, and a manifest in a pull request is untrusted. A golden
  that is not there yet is a warning, not an error: a new deployment must be applied before
  ``comfyops smoke --update-goldens`` can record its golden (until then the smoke check is an error); one
  that is there but is not a readable image is an error. A golden on a ``text`` or ``audio`` channel is
  an error: there is no picture to compare.
- With the deployment's workflow file: an expectation on a node the workflow does not have, on a node
  that produces no output (not an output node, or a class neither object_info nor the known savers
  describe), or on a channel its saver does not fill (``gifs`` of a SaveAnimatedWEBP, which reports
  ``images``) is an error: otherwise it is found only after a paid run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from reconciler import readfile
from reconciler.diagnostics import Diagnostic, Severity
from reconciler.manifest import files
from reconciler.manifest.model import DeploymentDocument
from reconciler.manifest.parsed import ParsedDocument
from reconciler.workflow import outputs
from reconciler.workflow.graph import WorkflowGraph
from reconciler.workflow.object_info import ObjectInfo

GoldenKey = tuple[str, str]
"""(output node id, channel) of an expectation with ``similar_to``."""
_NO_PICTURES = ("text", "audio")


def _expect_path(node_id: str, channel: str, key: str | None = None) -> tuple[str, ...]:
    base = ("spec", "smoke", "expect", "outputs", node_id, channel)
    return (*base, key) if key else base


def goldens(item: ParsedDocument, problems: list[Diagnostic]) -> dict[GoldenKey, str]:
    """Each ``similar_to`` of a deployment resolved to a path; problems appended for unusable ones."""
    model = item.model
    assert isinstance(model, DeploymentDocument)
    smoke = model.spec.smoke
    found: dict[GoldenKey, str] = {}
    if smoke is None:
        return found
    for node_id, channels in smoke.expect.outputs.items():
        for channel, expectation in channels.items():
            if expectation.similar_to is None:
                continue
            where = item.doc.locate(_expect_path(node_id, channel, "similar_to"))
            field = f"spec.smoke.expect.outputs.{json.dumps(node_id)}.{channel}.similar_to"
            if channel in _NO_PICTURES:
                problems.append(Diagnostic(f"a {channel} output has no picture to compare with a golden", where,
                                           field, "use similar_to on an images or gifs channel"))
                continue
            path = Path(os.path.normpath(Path(item.doc.path).parent / expectation.similar_to))
            display = files.display_path(path)
            outside = _outside_repository(path, Path(item.doc.path).parent)
            if Path(expectation.similar_to).is_absolute() or outside is not None:
                problems.append(Diagnostic(
                    f"golden {expectation.similar_to!r} is outside the repository ({outside or 'an absolute path'})",
                    where, field, "keep goldens in the repository, relative to this manifest's folder "
                    "(smoke --update-goldens writes there)"))
                continue
            found[(node_id, channel)] = display
            problem = _golden_problem(path)
            if problem == "missing":
                problems.append(Diagnostic(
                    f"golden {expectation.similar_to!r} does not exist yet (looked for {display}); the smoke check "
                    "is an error until it is recorded", where, field,
                    f"record it from a passing run: comfyops smoke --update-goldens --target {model.metadata.name}",
                    Severity.WARNING))
            elif problem is not None:
                problems.append(Diagnostic(f"golden {display} {problem}", where, field,
                                           "the path is relative to this manifest's folder; re-record it with "
                                           "comfyops smoke --update-goldens"))
    return found


def repository_root(folder: Path) -> Path:
    """The repository of ``folder`` (:func:`reconciler.readfile.repository_root`); else the working directory."""
    return readfile.repository_root(folder) or Path.cwd().resolve()


def _outside_repository(path: Path, folder: Path) -> str | None:
    """Why ``path`` (symbolic links followed) is not inside the manifest's repository, or None when it is."""
    root = repository_root(folder)
    target = path.resolve()
    if target == root or root in target.parents:
        return None
    return f"{files.display_path(target)} is not under {files.display_path(root)}"


def _golden_problem(path: Path) -> str | None:
    """None for a readable image, ``missing``, or why the file is not a usable golden."""
    if not path.exists():
        return "missing"
    if not path.is_file():
        return "is not a regular file"
    from PIL import Image

    try:
        with Image.open(path) as picture:
            picture.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return f"is not a readable image ({exc.__class__.__name__}: {exc})"
    return None


def check_outputs(item: ParsedDocument, graph: WorkflowGraph, info: ObjectInfo | None) -> list[Diagnostic]:
    """Expectations on nodes that produce nothing, or on channels their node does not fill."""
    model = item.model
    assert isinstance(model, DeploymentDocument)
    smoke = model.spec.smoke
    problems: list[Diagnostic] = []
    if smoke is None:
        return problems
    for node_id, channels in smoke.expect.outputs.items():
        node_where = item.doc.locate_key(("spec", "smoke", "expect", "outputs", node_id))
        field = f"spec.smoke.expect.outputs.{json.dumps(node_id)}"
        node = graph.node(node_id)
        if node is None:
            problems.append(Diagnostic(f"node {json.dumps(node_id)} is not in the workflow ({graph.source})",
                                       node_where, field, "expect the id of one of the workflow's output nodes"))
            continue
        saver = outputs.saver(node.class_type)
        known = info.get(node.class_type) if info is not None else None
        if saver is None and not (known is not None and known.output_node):
            why = "is not an output node" if known is not None else "is not a known output node class"
            problems.append(Diagnostic(
                f"node {json.dumps(node_id)} ({node.class_type}) {why}, so it produces no output", node_where, field,
                "expect one of the workflow's save or preview nodes"
                + ("" if info is not None else " (or add the workflow's object_info.json beside it)")))
            continue
        for channel in channels:
            if saver is not None and channel != saver.channel:
                problems.append(Diagnostic(
                    f"{node.class_type} reports its files under {saver.channel!r}, not {channel!r}",
                    item.doc.locate_key(_expect_path(node_id, channel)), f"{field}.{channel}",
                    f"use {saver.channel}: (see the README's output channels table)"))
    return problems
