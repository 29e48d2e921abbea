"""The smoke report as one self-contained HTML page: what each deployment drew, beside its golden.

Pure: :func:`render_gallery` takes the reports and pictures already read and made small (the shell,
``cli/gallery.py``, reads files; ``smoke/thumbnails.py`` makes :class:`Picture` values) and returns
a string. Jinja2 templates (``render/templates/``) with autoescape on: every value from the API or a
manifest is passed through :func:`reconciler.render.safe.terminal` (controls and bidi overrides shown
escaped, as everywhere) and Jinja2 escapes it as HTML, so no text from outside becomes markup. Pictures
are ``data:`` URIs of PNG or JPEG bytes the shell made (never a file name or URL); the page has a
Content-Security-Policy that allows nothing else (no script, no font, no request), so it opens from a
CI artifact offline and cannot call anywhere.

Order: environments as given; in each, failures first (error, fail, then skipped and passed), as the
text report's order otherwise.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
import markupsafe

from reconciler.render import safe
from reconciler.smoke.report import DeploymentResult, GoldenCheck, ReceivedFile, SmokeReport, SmokeStatus

MIME_TYPES = frozenset({"image/png", "image/jpeg"})
"""What a :class:`Picture` may hold (the CSP allows ``data:`` images only; these two every browser shows)."""
_ORDER = {SmokeStatus.ERROR: 0, SmokeStatus.FAIL: 1, SmokeStatus.SKIPPED: 2, SmokeStatus.PASS: 3}
_LABEL = {SmokeStatus.PASS: "passed", SmokeStatus.FAIL: "failed", SmokeStatus.ERROR: "errored",
          SmokeStatus.SKIPPED: "skipped"}


@dataclass(frozen=True)
class Picture:
    """One embeddable image: PNG or JPEG bytes and their pixel size; ``frame`` is the source frame index."""

    mime: str
    data: bytes = field(repr=False)
    width: int
    height: int
    frame: int | None = None

    def __post_init__(self) -> None:
        if self.mime not in MIME_TYPES:
            raise ValueError(f"a gallery picture is PNG or JPEG, not {self.mime!r}")

    @property
    def uri(self) -> str:
        """The ``data:`` URI the page embeds."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True)
class Preview:
    """What can be shown of one file: its pictures (one for a still; sampled frames of a motion), or why not."""

    pictures: tuple[Picture, ...] = ()
    total_frames: int = 1
    problem: str = ""


def render_gallery(reports: Sequence[SmokeReport], previews: Mapping[str, Preview], *, title: str = "") -> str:
    """The HTML page of ``reports`` (one per environment); ``previews`` are keyed by the report's file paths."""
    sections = [_section(report, previews) for report in reports]
    css = _environment().get_template("gallery.css").render()
    return _environment().get_template("gallery.html.j2").render(
        title=safe.terminal(title or "ComfyOps smoke tests"),
        sections=sections,
        ok=all(report.ok for report in reports),
        css=markupsafe.Markup(css),  # our own style sheet, not text from outside
        csp=content_security_policy(css),
    )


def content_security_policy(css: str) -> str:
    """Nothing but ``data:`` images and this one style sheet (by hash): no script, font, frame or request."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; img-src data:; style-src 'sha256-{digest}'; base-uri 'none'; "
            "form-action 'none'")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reconciler.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _section(report: SmokeReport, previews: Mapping[str, Preview]) -> dict[str, Any]:
    t = safe.terminal
    counts = report.counts()
    ordered = sorted(report.results, key=lambda r: _ORDER[r.status])  # stable: report order within a state
    return {
        "environment": t(report.environment) if report.environment is not None else "",
        "summary": t(report.summary()),
        "counts": [(_LABEL[s], counts[s.value], s.value) for s in SmokeStatus],
        "seconds": f"{report.duration_seconds:.1f}",
        "calls": sum(r.api_calls for r in report.results),
        "calls_line": t(report.calls_line()),
        "interrupted": report.interrupted,
        "notes": [t(n) for n in report.notes],
        "results": [_result(r, previews) for r in ordered],
    }


def _result(r: DeploymentResult, previews: Mapping[str, Preview]) -> dict[str, Any]:
    t = safe.terminal
    shown = {(g.output, g.channel, g.item) for g in r.goldens}
    return {
        "name": t(r.name),
        "status": r.status.value,
        "label": _LABEL[r.status],
        "reason": t(r.reason),
        "request_id": t(r.request_id or ""),
        "deployment_id": t(r.deployment_id or ""),
        "instance_id": t(r.instance_id or ""),
        "duration": "" if r.duration_seconds is None else f"{r.duration_seconds:.1f}s",
        "api_calls": r.api_calls,
        "cleanup": t(r.cleanup),
        "warnings": [t(w) for w in r.warnings],
        "checks": [{"name": t(c.name), "status": c.status.value, "message": t(c.message)} for c in r.checks],
        "goldens": [_golden(g, previews) for g in r.goldens],
        "received": [_received(f, previews) for f in r.received if (f.output, f.channel, f.item) not in shown],
    }


def _golden(g: GoldenCheck, previews: Mapping[str, Preview]) -> dict[str, Any]:
    t = safe.terminal
    received = _preview(g.received, previews)
    golden = _preview(g.golden, previews)
    diff = _preview(g.diff, previews)
    rows = []
    for i, picture in enumerate(received["pictures"] or [None]):
        rows.append({
            "frame": None if picture is None or len(received["pictures"]) < 2 else picture["frame"],
            "received": picture,
            "golden": golden["pictures"][i] if i < len(golden["pictures"]) else None,
        })
    return {
        "output": t(g.output), "channel": t(g.channel), "status": g.status.value, "label": _LABEL[g.status],
        "golden_path": t(g.golden), "received_path": t(g.received or ""), "diff_path": t(g.diff or ""),
        "expectation": f"hash distance at most {g.max_hash_distance}, SSIM at least {g.min_ssim:g}",
        "measured": _measured(g),
        "frames": ", ".join(str(f) for f in g.frames) if len(g.frames) > 1 else "",
        "recorded": g.recorded,
        "message": t(g.message),
        "rows": rows,
        "received_problem": received["problem"], "golden_problem": golden["problem"],
        "diff": diff["pictures"][0] if diff["pictures"] else None,
        "diff_problem": diff["problem"],
        "total_frames": received["total_frames"],
    }


def _measured(g: GoldenCheck) -> str:
    parts = []
    if g.hash_distance is not None:
        detail = f" (pHash {g.phash}, dHash {g.dhash})" if g.phash is not None and g.dhash is not None else ""
        parts.append(f"hash distance {g.hash_distance}{detail}")
    if g.ssim is not None:
        parts.append(f"SSIM {g.ssim:.3f}")
    return ", ".join(parts) or "not measured"


def _received(f: ReceivedFile, previews: Mapping[str, Preview]) -> dict[str, Any]:
    t = safe.terminal
    shown = _preview(f.path, previews)
    return {"output": t(f.output), "channel": t(f.channel), "item": f.item + 1, "path": t(f.path),
            "format": t(f.format or "unknown format"), **shown}


def _preview(path: str | None, previews: Mapping[str, Preview]) -> dict[str, Any]:
    if not path:
        return {"pictures": [], "problem": "", "total_frames": 1}
    found = previews.get(path)
    if found is None:
        return {"pictures": [], "problem": "not read", "total_frames": 1}
    pictures = [{"uri": p.uri, "width": p.width, "height": p.height, "frame": p.frame} for p in found.pictures]
    return {"pictures": pictures, "problem": safe.terminal(found.problem), "total_frames": found.total_frames}
