"""A :class:`SmokeReport` as text, JSON, Markdown (PR comments, job summaries) or JUnit XML.

Pure: each renderer takes the frozen report and returns a string; nothing is printed or written
here, and the report is never modified. The summary sentence comes from ``SmokeReport.summary`` so
every format says it the same way. JUnit has one ``testcase`` per deployment: ``failure`` for fail,
``error`` for error, ``skipped`` for skipped. Secrets are scrubbed by the caller on the way out.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from reconciler.render import safe
from reconciler.smoke.report import DeploymentResult, SmokeReport, SmokeStatus

FORMATS = ("text", "json", "markdown")

_TEXT_LABEL = {
    SmokeStatus.PASS: "PASS", SmokeStatus.FAIL: "FAIL", SmokeStatus.ERROR: "ERROR", SmokeStatus.SKIPPED: "SKIP",
}
_MD_LABEL = {
    SmokeStatus.PASS: "✅ pass", SmokeStatus.FAIL: "❌ fail", SmokeStatus.ERROR: "⚠️ error",
    SmokeStatus.SKIPPED: "⏭️ skipped",
}


def render(report: SmokeReport, fmt: str) -> str:
    """The report in ``fmt`` (``text``, ``json`` or ``markdown``)."""
    renderers: dict[str, Callable[[SmokeReport], str]] = {"text": text, "json": as_json, "markdown": markdown}
    if fmt not in renderers:
        raise ValueError(f"unknown smoke report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return renderers[fmt](report)


def _duration(result: DeploymentResult) -> str:
    return "" if result.duration_seconds is None else f"{result.duration_seconds:.1f}s"


def text(report: SmokeReport) -> str:
    """Plain text: one line per deployment, its problem checks indented below, then the summary."""
    t = safe.terminal
    width = max((len(t(r.name)) for r in report.results), default=0)
    lines: list[str] = []
    for r in report.results:
        meta = ", ".join(p for p in (_duration(r), f"request {t(r.request_id)}" if r.request_id else "") if p)
        line = f"{_TEXT_LABEL[r.status]:<5} {t(r.name):<{width}}  {t(r.reason)}"
        lines.append(line + (f"  ({meta})" if meta else ""))
        for check in r.failed_checks()[1:] if r.status.is_problem else ():
            lines.append(f"      - {t(check.name)}: {t(check.message)}")
        if r.cleanup:
            lines.append(f"      assets: {t(r.cleanup)}")
        if r.free_memory:
            lines.append(f"      instance: {t(r.free_memory)}")
        lines += [f"      warning: {t(w)}" for w in r.warnings]
    calls = f" ({t(report.calls_line())})" if report.calls_line() else ""
    lines.append(f"Smoke tests: {t(report.summary())} in {report.duration_seconds:.1f}s{calls}.")
    if report.environment is not None:
        lines.insert(0, f"Environment: {t(report.environment)}")
    return "\n".join(lines) + "\n"


def as_json(report: SmokeReport) -> str:
    """The versioned JSON document (``format_version`` 1), the only machine contract."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def markdown(report: SmokeReport) -> str:
    """A Markdown table for a PR comment or a job summary, with failing checks listed below it."""
    lines = [
        "### ComfyOps smoke tests"
        + (f": {safe.md_text(report.environment)}" if report.environment is not None else ""),
        "",
        f"**{safe.md_text(report.summary())}** in {report.duration_seconds:.1f}s"
        + (f" ({safe.md_text(report.calls_line())})" if report.calls_line() else ""),
        "",
        "| Deployment | Result | Duration | Details |",
        "|---|---|---|---|",
    ]
    for r in report.results:
        name, reason = safe.md_code(r.name, cell=True), safe.md_cell(r.reason)
        lines.append(f"| {name} | {_MD_LABEL[r.status]} | {_duration(r)} | {reason} |")
    warned = [(r.name, w) for r in report.results for w in r.warnings]
    if warned:
        lines += [""] + [f"- ⚠️ {safe.md_code(name)}: {safe.md_text(w)}" for name, w in warned]
    compared = [(r.name, g) for r in report.results for g in r.goldens]
    if compared:
        lines += ["", "| Deployment | Output | Golden | Result |", "|---|---|---|---|"]
        lines += [f"| {safe.md_code(name, cell=True)} | {safe.md_code(g.output, cell=True)} {g.channel} | "
                  f"{safe.md_code(g.golden, cell=True)} | {safe.md_cell(g.message)} |" for name, g in compared]
    problems = [r for r in report.results if r.status.is_problem and r.failed_checks()]
    if problems:
        lines += ["", "<details><summary>Failed checks</summary>", ""]
        for r in problems:
            for check in r.failed_checks():
                lines.append(f"- {safe.md_code(r.name)} {safe.md_text(check.name)}: {safe.md_text(check.message)}")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def junit(report: SmokeReport, *, suite: str = "comfyops smoke") -> str:
    """JUnit XML: one testsuite, one testcase per deployment (failure, error or skipped inside). Every value
    from the API or a manifest goes through the terminal sanitiser, so no control character (which XML 1.0
    forbids, and a CI viewer might act on) reaches the file."""
    t = safe.terminal
    counts = report.counts()
    root = ET.Element("testsuites", name=suite)
    element = ET.SubElement(
        root, "testsuite", name=suite, tests=str(len(report.results)), failures=str(counts["fail"]),
        errors=str(counts["error"]), skipped=str(counts["skipped"]), time=f"{report.duration_seconds:.3f}",
    )
    for r in report.results:
        case = ET.SubElement(element, "testcase", classname="comfyops.smoke", name=t(r.name),
                             time=f"{r.duration_seconds or 0.0:.3f}")
        detail = "\n".join(f"{c.status.value}: {t(c.name)}: {t(c.message)}" for c in r.checks)
        if r.status is SmokeStatus.FAIL:
            ET.SubElement(case, "failure", message=t(r.reason), type="fail").text = detail or t(r.reason)
        elif r.status is SmokeStatus.ERROR:
            ET.SubElement(case, "error", message=t(r.reason), type="error").text = detail or t(r.reason)
        elif r.status is SmokeStatus.SKIPPED:
            ET.SubElement(case, "skipped", message=t(r.reason))
        out = [f"deployment_id: {t(r.deployment_id)}", f"request_id: {t(r.request_id)}", f"assets: {t(r.cleanup)}"]
        out += [f"instance_id: {t(r.instance_id)}"] if r.instance_id else []
        out += [f"warning: {t(w)}" for w in r.warnings]
        if r.status is SmokeStatus.PASS and detail:
            out.append(detail)
        ET.SubElement(case, "system-out").text = "\n".join(out)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
