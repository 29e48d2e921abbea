"""The gallery's shell: pictures read never through a link, secrets masked (escaped too), the page never via a link."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from reconciler.session import gallery
from reconciler.smoke.report import DeploymentResult, ReceivedFile, SmokeReport, SmokeStatus


def picture(path: Path) -> str:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG")
    path.write_bytes(out.getvalue())
    return str(path)


def one(*received: ReceivedFile, reason: str = "3 checks passed") -> list[SmokeReport]:
    return [SmokeReport((DeploymentResult("d", SmokeStatus.PASS, reason, received=received),))]


def test_a_picture_is_embedded_and_a_linked_or_missing_one_is_a_note(tmp_path: Path) -> None:
    real = picture(tmp_path / "real.png")
    (tmp_path / "link.png").symlink_to(real)
    previews = gallery.load_previews(one(
        ReceivedFile("9", "images", 0, real, "png"),
        ReceivedFile("9", "images", 1, str(tmp_path / "link.png"), "png"),
        ReceivedFile("9", "images", 2, str(tmp_path / "gone.png"), "png"),
    ))
    [shown] = previews[real].pictures
    assert (shown.width, shown.height) == (40, 30)
    assert previews[str(tmp_path / "link.png")].problem == "a symbolic link: not followed"
    assert previews[str(tmp_path / "gone.png")].problem == "no such file"


def test_secrets_are_masked_in_the_page_as_written_and_as_html_escaped(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    gallery.write_gallery(page, one(reason="token s3cr3t&<x> leaked"), ["s3cr3t&<x>"])
    text = page.read_text(encoding="utf-8")
    assert "s3cr3t" not in text and "token (sensitive value) leaked" in text


def test_the_page_replaces_a_link_and_never_writes_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "report.html").symlink_to(victim)
    gallery.write_gallery(tmp_path / "report.html", one(), [])
    assert victim.read_text() == "keep"
    page = tmp_path / "report.html"
    assert not page.is_symlink() and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert page.stat().st_mode & 0o777 == 0o644
