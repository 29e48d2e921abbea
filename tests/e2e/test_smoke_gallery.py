"""``smoke --html`` and ``apply --smoke --html`` over real HTTP, and the page checked in a real browser.

The emulator draws request-dependent pictures; a repository has a passing animated + video deployment
(golden recorded), a still whose golden no longer matches (fail, with a difference sheet), one whose
golden was never recorded (error) and a plain one without golden (its pictures kept for the page). The
page is valid HTML5 (html5lib, strict), and in headless Chromium (Debian's package, over the DevTools
pipe: ``support.browser``) with the network off: every picture decodes, nothing is requested, a hostile
deployment name and message make the same elements as a plain word, and at 375 px nothing overflows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import html5lib
import pytest
from PIL import Image

from e2e.test_smoke_goldens import DEPLOYMENT as T2I_WITH_GOLDEN
from reconciler.session import gallery
from reconciler.smoke.report import CheckResult, DeploymentResult, GoldenCheck, ReceivedFile, SmokeReport, SmokeStatus
from support.browser import Browser, find_chromium
from support.emulated import DATA
from support.hostile_text import ALL

DEPLOYMENTS = T2I_WITH_GOLDEN + """---
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: motion}}
spec:
  workflow_id: wf-2
  workflow_version: v1
  workflow_file: motion.json
  smoke:
    expect:
      outputs:
        "20": {{images: {{count: 1, similar_to: goldens/motion.png}}}}
        "21": {{images: {{count: 1, format: mp4}}}}
---
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: unrecorded}}
spec:
  workflow_id: wf-1
  workflow_version: v1
  workflow_file: wf.json
  smoke:
    expect:
      outputs:
        "9": {{images: {{count: 1, similar_to: goldens/never.png}}}}
---
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: plain}}
spec:
  workflow_id: wf-1
  workflow_version: v1
  workflow_file: wf.json
  max_instances: {max_instances}
  smoke:
    expect:
      outputs:
        "9": {{images: {{count: 1}}}}
"""


@pytest.fixture
def repo(manifests: Any, run_cli: Any) -> Path:
    """The four deployments applied, goldens of t2i (seed 7) and motion recorded, then t2i's seed changed."""
    root: Path = manifests(DEPLOYMENTS.format(seed=7, max_instances=1))
    motion = json.loads((DATA / "workflows" / "txt2img.json").read_text())
    motion["5"]["inputs"].update(width=320, height=192, batch_size=8)
    motion["20"] = {"class_type": "SaveAnimatedWEBP", "inputs": {"images": ["8", 0], "fps": 6.0}}
    motion["21"] = {"class_type": "SaveVideo", "inputs": {"images": ["8", 0], "format": "mp4"}}
    (root / "motion.json").write_text(json.dumps(motion))
    assert run_cli("--emulator", "apply", "-f", str(root), "--auto-approve", cwd=root).code == 0
    recorded = run_cli("--emulator", "smoke", "-f", str(root), "--update-goldens", "--target", "t2i",
                       "--target", "motion")
    assert recorded.code == 0, recorded
    (root / "deployments.yaml").write_text(DEPLOYMENTS.format(seed=8, max_instances=1))
    return root


def smoke_html(run_cli: Any, repo: Path, page: Path, *extra: str) -> tuple[Any, dict[str, Any]]:
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--html", str(page), "--format", "json", *extra)
    return result, json.loads(result.out)


def test_smoke_html_writes_one_valid_page_with_every_picture_failures_first(run_cli: Any, repo: Path) -> None:
    page = repo / "out" / "report.html"
    result, data = smoke_html(run_cli, repo, page)
    assert result.code == 1 and f"Wrote the HTML report to {page}" in result.err
    statuses = {r["name"]: r["status"] for r in data["results"]}
    assert statuses == {"t2i": "fail", "motion": "pass", "unrecorded": "error", "plain": "pass"}
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_mode & 0o777 == 0o644
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(text)
    assert parser.errors == []
    order = [text.index(f"<code>{name}</code></h3>") for name in ("unrecorded", "t2i", "motion", "plain")]
    assert order == sorted(order)
    sources = re.findall(r'<img src="([^"]*)"', text)
    assert sources and all(re.match(r"data:image/(png|jpeg);base64,", s) for s in sources)
    assert "difference, amplified" in text and "received · frame 0" in text and "golden · frame 7" in text
    assert "frame 4 of 9" in text or "of 8" in text  # the video's first, middle and last frames
    [plain] = [r for r in data["results"] if r["name"] == "plain"]
    assert [(f["output"], f["channel"], f["format"]) for f in plain["received"]] == [("9", "images", "png")]
    assert (repo / plain["received"][0]["path"]).read_bytes().startswith(b"\x89PNG")


def test_the_html_page_is_never_written_through_a_symlink(run_cli: Any, repo: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (repo / "report.html").symlink_to(victim)
    result, _ = smoke_html(run_cli, repo, repo / "report.html", "--target", "plain")
    # the page is a side channel of the smoke verdict: a warning naming the link, the verdict stands
    assert result.code == 0 and "warning: cannot write the HTML report" in result.err and "symbolic link" in result.err
    assert victim.read_text() == "keep me"  # refused: never written through, never silently replaced
    assert (repo / "report.html").is_symlink()

    (repo / "blocked").write_text("a file, not a folder")  # cannot be written: a warning, the verdict stands
    result, _ = smoke_html(run_cli, repo, repo / "blocked" / "report.html", "--target", "plain")
    assert result.code == 0 and "warning: cannot write the HTML report" in result.err


def test_the_job_summary_says_the_pictures_are_in_the_html_report(
    run_cli: Any, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result, _ = smoke_html(run_cli, repo, repo / "report.html", "--target", "plain")
    assert result.code == 0
    text = summary.read_text(encoding="utf-8")
    assert "The pictures (received, golden, difference) are in the HTML report `report.html`" in text
    assert "GitHub removes data: images from Markdown" in text


def test_apply_smoke_html_writes_the_page_of_what_it_changed(run_cli: Any, repo: Path) -> None:
    (repo / "deployments.yaml").write_text(DEPLOYMENTS.format(seed=8, max_instances=2))
    page = repo / "apply.html"
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke", "--html", str(page))
    assert result.code == 0, result
    text = page.read_text(encoding="utf-8")
    assert "<code>plain</code></h3>" in text and "<code>t2i</code></h3>" not in text
    assert re.search(r'<img src="data:image/(png|jpeg);base64,', text)
    refused = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--html", str(page))
    assert refused.code == 1 and "--html needs --smoke" in refused.err


# --- in a real browser ------------------------------------------------------------------------------------

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)"
)
HOSTILE_NAME = "media-" + ALL


def report_from_json(data: dict[str, Any]) -> SmokeReport:
    """The report back from ``--format json`` (what the browser test renders again with other names)."""
    results = []
    for r in data["results"]:
        results.append(DeploymentResult(
            r["name"], SmokeStatus(r["status"]), r["reason"],
            checks=tuple(CheckResult(c["name"], SmokeStatus(c["status"]), c["message"]) for c in r["checks"]),
            deployment_id=r["deployment_id"], request_id=r["request_id"], duration_seconds=r["duration_seconds"],
            cleanup=r["cleanup"], api_calls=r["api_calls"], instance_id=r["instance_id"],
            warnings=tuple(r["warnings"]),
            goldens=tuple(GoldenCheck(**{**g, "status": SmokeStatus(g["status"]), "frames": tuple(g["frames"])})
                          for g in r["goldens"]),
            received=tuple(ReceivedFile(**f) for f in r["received"]),
        ))
    return SmokeReport(tuple(results), duration_seconds=data["duration_seconds"])


def renamed(report: SmokeReport, name: str) -> SmokeReport:
    """``report`` with the failed test's deployment name and reason replaced (as a hostile API would)."""
    from dataclasses import replace

    return replace(report, results=tuple(
        replace(r, name=name, reason=f"{name}: {r.reason}") if r.status is SmokeStatus.FAIL else r
        for r in report.results))


INSPECT = """JSON.stringify({
  images: [...document.images].map(i => ({
    complete: i.complete, width: i.naturalWidth, data: i.src.startsWith('data:')})),
  elements: [...document.querySelectorAll('*')].map(e => e.tagName + ':' + [...e.attributes].map(a => a.name).sort()),
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  title: document.title
})"""


COLOURS = "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color].join(' on ')"
DARK, LIGHT = "rgb(13, 17, 23) on rgb(230, 237, 243)", "rgb(255, 255, 255) on rgb(31, 35, 40)"


@needs_chromium
def test_in_chromium_offline_pictures_decode_nothing_is_requested_and_hostile_text_stays_text(
    run_cli: Any, repo: Path, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    _, data = smoke_html(run_cli, repo, repo / "report.html")
    report = report_from_json(data)
    pages = {}
    for label, name in (("hostile", HOSTILE_NAME), ("plain", "media-plain")):
        pages[label] = tmp_path / f"{label}.html"
        gallery.write_gallery(pages[label], [renamed(report, name)], (), title=name)  # cwd: the repository
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for label, page in pages.items():
        for width in (1280, 375):
            profile = tmp_path / f"profile-{label}-{width}"
            with Browser(CHROMIUM, profile) as browser:
                browser.open_offline(page.as_uri(), width=width)
                found = json.loads(browser.evaluate(INSPECT))
                requested = browser.requested()
                shot = tmp_path / f"{label}-{width}.png"
                browser.screenshot(shot)
                if width == 375:  # the reader's dark scheme: dark page, light text
                    browser.prefer_dark(True)
                    colours = browser.evaluate(COLOURS)
                    browser.screenshot(tmp_path / f"{label}-{width}-dark.png")
                    browser.prefer_dark(False)
                    assert (colours, browser.evaluate(COLOURS)) == (DARK, LIGHT)
            assert [u for u in requested if not u.startswith("data:")] == [page.as_uri()]
            assert len(found["images"]) >= 10
            assert all(i["complete"] and i["width"] > 0 and i["data"] for i in found["images"]), found["images"]
            assert found["overflow"] <= 0, f"{label} page is wider than {width} px"
            with Image.open(shot) as picture:
                assert picture.width == width and picture.height > 1000
            seen[(label, width)] = found
    assert seen[("hostile", 1280)]["elements"] == seen[("plain", 1280)]["elements"]
    assert seen[("hostile", 1280)]["title"].startswith("media-media-a\\x1b]52;c;")  # shown, never acted on
    keep = os.environ.get("COMFYOPS_KEEP_SCREENSHOTS")
    if keep:  # to look at them: COMFYOPS_KEEP_SCREENSHOTS=/some/folder
        for shot in tmp_path.glob("*-*.png"):  # light and dark
            shutil.copy(shot, Path(keep) / shot.name)


@needs_chromium
def test_control_the_browser_checks_see_a_request_a_broken_picture_and_an_injected_element(tmp_path: Path) -> None:
    """Without the gallery's care (no CSP, a remote picture, raw markup) every check above would fail."""
    assert CHROMIUM is not None
    page = tmp_path / "careless.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>x</title></head><body>'
                    '<img src="http://tracker.example/p.png" alt=""><img src="data:image/png;base64,AAAA" alt="">'
                    "<p>media-<img src=x onerror=\"document.title='owned'\"></p></body></html>", encoding="utf-8")
    with Browser(CHROMIUM, tmp_path / "profile") as browser:
        browser.open_offline(page.as_uri(), width=375)
        found = json.loads(browser.evaluate(INSPECT))
        requested = browser.requested()
    assert "http://tracker.example/p.png" in requested
    assert [i["width"] for i in found["images"]] == [0, 0, 0]
    assert found["elements"].count("IMG:alt,src") == 2 and "IMG:onerror,src" in found["elements"]
    assert found["title"] == "owned"  # and its script ran
