"""Golden comparisons of a finished smoke run: compare, keep what a reviewer needs, or record new goldens.

Effectful: reads the golden pictures the manifests name, writes the received file (and, when a
comparison fails, a golden | received | difference sheet) under ``<artifacts>/<request id>/``, and with
``update`` writes goldens (a temporary file in the same folder and a rename; never through a symbolic
link). The comparison itself is :mod:`reconciler.smoke.compare`, imported only when a deployment has a
golden (it brings numpy, scikit-image, ImageHash and PyAV).

The first item of each channel is compared (the items of one batch are different pictures). The
figures go into a :class:`~reconciler.smoke.report.CheckResult` message (text, Markdown and JUnit show
them) and a :class:`~reconciler.smoke.report.GoldenCheck` (plain fields, JSON report).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from reconciler import readfile, workspace
from reconciler.manifest.desired import DesiredDeployment
from reconciler.manifest.model import DEFAULT_MAX_HASH_DISTANCE, DEFAULT_MIN_SSIM, ChannelExpectation
from reconciler.smoke import media
from reconciler.smoke.checks import RunOutcome
from reconciler.smoke.report import CheckResult, GoldenCheck, SmokeStatus

ARTIFACTS_DIR = Path(".comfyops") / "outputs"
"""Where received files and difference sheets go by default (one folder per request id)."""
PASS, FAIL, ERROR, SKIPPED = SmokeStatus.PASS, SmokeStatus.FAIL, SmokeStatus.ERROR, SmokeStatus.SKIPPED


def check(
    d: DesiredDeployment, outcome: RunOutcome, request_id: str, prior: Sequence[CheckResult], *,
    artifacts: Path = ARTIFACTS_DIR, update: bool = False,
) -> tuple[list[CheckResult], list[GoldenCheck]]:
    """The golden checks of ``d``'s run; ``prior`` are its other checks (``update`` records only if they passed)."""
    if not d.goldens or d.smoke is None:
        return [], []
    results: list[CheckResult] = []
    details: list[GoldenCheck] = []
    others_passed = not any(c.status.is_problem for c in prior)
    declared = [(n, c, e) for n, channels in d.smoke.expect.outputs.items() for c, e in channels.items()]
    for node_id, channel, expectation in declared:
        golden = d.goldens.get((node_id, channel))
        if golden is None:
            continue
        name = f"outputs.{json.dumps(node_id)}.{channel}.similar_to"
        base = GoldenCheck(node_id, channel, 0, ERROR, golden,
                           max_hash_distance=_max_distance(expectation), min_ssim=_min_ssim(expectation))
        items = list(outcome.outputs.get(node_id, {}).get(channel, []))
        if not items:
            continue  # the presence check already says the node produced nothing
        data = outcome.files.get((node_id, channel, 0))
        if data is None:
            why = outcome.download_errors.get((node_id, channel, 0), "it has no downloadable url")
            result, detail = _result(name, base, ERROR, f"item 1 could not be read: {why}")
        else:
            filename = f"received-{safe_name(node_id)}-{channel}.{extension(data)}"
            received = keep_copy(artifacts, request_id, filename, data)
            base = replace(base, received=received)
            if update:
                result, detail = _record(name, base, data, others_passed)
            else:
                result, detail = _compare(name, base, data, artifacts, request_id)
        results.append(result)
        details.append(detail)
    return results, details


def _max_distance(e: ChannelExpectation) -> int:
    return e.max_hash_distance if e.max_hash_distance is not None else DEFAULT_MAX_HASH_DISTANCE


def _min_ssim(e: ChannelExpectation) -> float:
    return float(e.min_ssim) if e.min_ssim is not None else DEFAULT_MIN_SSIM


def _result(name: str, detail: GoldenCheck, status: SmokeStatus, message: str) -> tuple[CheckResult, GoldenCheck]:
    done = replace(detail, status=status, message=message)
    return CheckResult(name, status, message), done


def _compare(name: str, base: GoldenCheck, data: bytes, artifacts: Path, request_id: str
             ) -> tuple[CheckResult, GoldenCheck]:
    from reconciler.smoke import compare

    try:
        golden = readfile.read_bytes(Path(base.golden), limit=readfile.RECORD_LIMIT)
    except readfile.FileProblem as exc:
        if exc.missing:
            return _result(name, base, ERROR, f"no golden at {base.golden}; record one from a passing run with "
                                              "comfyops smoke --update-goldens")
        return _result(name, base, ERROR, f"cannot read the golden {base.golden}: {exc.message}")
    try:
        outcome = compare.compare(data, golden, max_hash_distance=base.max_hash_distance, min_ssim=base.min_ssim)
    except compare.DecodeError as exc:
        return _result(name, base, FAIL, f"item 1 cannot be compared with {base.golden}: {exc}")
    worst = outcome.worst
    measured = replace(
        base, frames=tuple(f.index for f in outcome.frames), hash_distance=outcome.hash_distance, ssim=outcome.ssim,
        phash=max((f.phash for f in outcome.frames), default=None),
        dhash=max((f.dhash for f in outcome.frames), default=None),
    )
    limits = f"(max {base.max_hash_distance}), SSIM {{ssim}} (min {base.min_ssim:g})"
    if outcome.passed:
        figures = f"hash distance {outcome.hash_distance} " + limits.format(ssim=f"{outcome.ssim:.3f}")
        return _result(name, measured, PASS, f"like {base.golden}: {figures}{_frames(measured)}")
    if outcome.diff_png is not None:
        diff = keep_copy(artifacts, request_id, f"diff-{safe_name(base.output)}-{base.channel}.png", outcome.diff_png)
        measured = replace(measured, diff=diff)
    if outcome.problem is not None:
        text = f"item 1 {outcome.problem} ({base.golden})"
    else:
        assert worst is not None
        figures = f"hash distance {outcome.hash_distance} " + limits.format(ssim=f"{outcome.ssim:.3f}")
        at = f" at frame {worst.index}" if len(outcome.frames) > 1 else ""
        text = f"differs from {base.golden}: {figures}{at}"
    saved = ", ".join(p for p in (f"received {measured.received}" if measured.received else "",
                                  f"diff {measured.diff}" if measured.diff else "") if p)
    return _result(name, measured, FAIL, text + (f"; {saved}" if saved else ""))


def _frames(detail: GoldenCheck) -> str:
    return f", frames {', '.join(map(str, detail.frames))}" if len(detail.frames) > 1 else ""


def _record(name: str, base: GoldenCheck, data: bytes, others_passed: bool) -> tuple[CheckResult, GoldenCheck]:
    from reconciler.smoke import compare

    if not others_passed:
        return _result(name, base, SKIPPED, f"{base.golden} not recorded: the run failed its other checks")
    try:
        golden = compare.make_golden(data)
        write_file(Path(base.golden), golden)
    except compare.DecodeError as exc:
        return _result(name, base, FAIL, f"{base.golden} not recorded: item 1 {exc}")
    except OSError as exc:
        return _result(name, base, ERROR, f"{base.golden} not recorded: {exc.strerror or exc}")
    recorded = replace(base, recorded=True)
    return _result(name, recorded, PASS, f"recorded {base.golden} ({len(golden)} bytes) from item 1")


def write_file(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` through a temporary file in its folder and a rename; refuse a symlink."""
    if path.is_symlink():
        raise OSError(f"{path} is a symbolic link; not written through (replace the link with a file)")
    workspace.write_bytes(path, data)


def keep_copy(artifacts: Path, request_id: str, filename: str, data: bytes) -> str | None:
    """Write a reviewer's copy under ``<artifacts>/<request id>/``; its path, or None if it could not be written."""
    path = artifacts / safe_name(request_id) / filename
    try:
        write_file(path, data)
    except OSError:
        return None
    return str(path)


def safe_name(text: str) -> str:
    """``text`` as one file name: anything but letters, digits, ``_.-`` becomes ``_``; never hidden or empty."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text).lstrip(".") or "_"


def extension(data: bytes) -> str:
    """The file extension for ``data``'s sniffed format (``bin`` when unknown)."""
    fmt = media.sniff(data)
    return {"jpeg": "jpg"}.get(fmt or "", fmt or "bin")
