"""The HTML gallery renderer: valid HTML5, failures first, every outside value text (never markup), data URIs only."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import html5lib
import pytest
from PIL import Image

from reconciler.render import gallery
from reconciler.render.gallery import Picture, Preview, render_gallery
from reconciler.smoke.report import CheckResult, DeploymentResult, GoldenCheck, ReceivedFile, SmokeReport, SmokeStatus
from support.hostile_text import HOSTILE

ROOT = Path(__file__).parents[3]
PASS, FAIL, ERROR, SKIPPED = SmokeStatus.PASS, SmokeStatus.FAIL, SmokeStatus.ERROR, SmokeStatus.SKIPPED


def png(color: str = "red", size: tuple[int, int] = (6, 4)) -> Picture:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return Picture("image/png", out.getvalue(), *size)


def report(name: str = "t2i", reason: str = "differs") -> SmokeReport:
    failed = DeploymentResult(
        name, FAIL, reason, checks=(CheckResult('outputs."9".images.similar_to', FAIL, reason),),
        request_id="rid-1", duration_seconds=4.25, api_calls=6,
        goldens=(GoldenCheck("9", "images", 0, FAIL, "goldens/t2i.png", received="out/received.png",
                             diff="out/diff.png", hash_distance=20, phash=20, dhash=9, ssim=0.41,
                             max_hash_distance=12, min_ssim=0.75, frames=(0,), message=reason),),
    )
    return SmokeReport((
        DeploymentResult("ok-one", PASS, "3 checks passed", request_id="rid-0", api_calls=4,
                         received=(ReceivedFile("9", "images", 0, "out/ok.png", "png"),)),
        failed,
        DeploymentResult("broken", ERROR, "submit failed: 503"),
        DeploymentResult("later", SKIPPED, "not deployed"),
    ), duration_seconds=12.5, environment="staging")


PREVIEWS = {
    "out/received.png": Preview((png("red"),)),
    "goldens/t2i.png": Preview((png("blue"),)),
    "out/diff.png": Preview((png("white"),)),
    "out/ok.png": Preview((png("green"),)),
}


def parse_strict(page: str) -> None:
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(page)
    assert parser.errors == []


def test_the_page_is_valid_html5_with_every_picture_embedded_and_nothing_else() -> None:
    page = render_gallery([report()], PREVIEWS)
    parse_strict(page)
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"(?i)<(script|link|iframe|object|embed|base)\b", page)
    assert not re.search(r"(?i)\b(href|srcset|action)=", page)
    assert "url(" not in page  # no font or picture fetched from the style sheet


def test_the_csp_allows_data_images_and_only_the_page_own_style_sheet() -> None:
    page = render_gallery([report()], PREVIEWS)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    policy = csp.group(1).replace("&#39;", "'")
    assert policy.startswith("default-src 'none'; img-src data:; style-src 'sha256-")
    css = re.search(r"<style>(.*?)</style>", page, re.S)
    assert css is not None and policy == gallery.content_security_policy(css.group(1))


def test_failures_come_first_then_skipped_then_passed_with_a_summary_line() -> None:
    page = render_gallery([report()], PREVIEWS)
    order = [page.index(f"<code>{name}</code></h3>") for name in ("broken", "t2i", "later", "ok-one")]
    assert order == sorted(order)
    assert "Environment <code>staging</code>" in page
    for text in ("1 passed", "1 failed", "1 errored", "1 skipped", "in 12.5 s", "10 API calls"):
        assert text in page


def test_a_golden_check_shows_expectation_measured_values_and_three_pictures() -> None:
    page = render_gallery([report()], PREVIEWS)
    assert "expected: hash distance at most 12, SSIM at least 0.75" in page
    assert "measured: hash distance 20 (pHash 20, dHash 9), SSIM 0.410" in page
    assert "request</dt><dd><code>rid-1</code>" in page and "4.2s" in page
    block = page[page.index("<code>t2i</code></h3>"):page.index("<code>later</code></h3>")]
    assert [a for a in re.findall(r'alt="([^"]*)"', block)] == [
        "received output 9", "golden goldens/t2i.png", "difference, amplified"]


def test_a_picture_that_could_not_be_read_says_why_instead() -> None:
    previews = {**PREVIEWS, "goldens/t2i.png": Preview(problem="no such file")}
    page = render_gallery([report()], previews)
    parse_strict(page)
    assert '<div class="missing">no such file</div>' in page


@pytest.mark.parametrize("key", sorted(HOSTILE))
def test_hostile_names_and_messages_become_text_with_the_same_elements_as_a_plain_word(key: str) -> None:
    hostile = render_gallery([report(HOSTILE[key], HOSTILE[key])], PREVIEWS, title=HOSTILE[key])
    plain = render_gallery([report("plain", "plain")], PREVIEWS, title="plain")
    parse_strict(hostile)
    assert _elements(hostile) == _elements(plain)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", hostile)


def _elements(page: str) -> list[tuple[str, tuple[str, ...]]]:
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    return [(e.tag, tuple(sorted(e.attrib))) for e in tree.iter()]


def test_pictures_are_png_or_jpeg_only() -> None:
    with pytest.raises(ValueError, match="PNG or JPEG"):
        Picture("image/svg+xml", b"<svg/>", 1, 1)


def test_the_templates_ship_in_the_package() -> None:
    """A non-editable install carries what ``pyproject.toml``'s package-data names: every template file."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["reconciler.render"]
    folder = ROOT / "reconciler" / "render"
    shipped = {p for g in globs for p in folder.glob(g)}
    assert set((folder / "templates").iterdir()) == shipped
