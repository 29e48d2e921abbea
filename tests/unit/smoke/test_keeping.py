"""Pictures kept for the gallery: picture channels only, at most four items each, none written twice."""

from __future__ import annotations

from pathlib import Path

from reconciler.smoke import keeping
from reconciler.smoke.checks import RunOutcome
from reconciler.smoke.report import GoldenCheck, ReceivedFile, SmokeStatus
from support import media_bytes


def test_picture_items_are_kept_once_each_text_and_audio_never(tmp_path: Path) -> None:
    png = media_bytes.png_bytes(8, 8)
    files = {("9", "images", i): png for i in range(6)}
    files |= {("50", "text", 0): b"hello", ("60", "audio", 0): b"fLaC", ("70", "gifs", 0): media_bytes.mp4_bytes(8, 8)}
    golden = GoldenCheck("9", "images", 0, SmokeStatus.PASS, "goldens/a.png", received="kept/by/golden.png")
    kept = keeping.keep(RunOutcome("succeeded", files=files), "rid/../x", (golden,), artifacts=tmp_path)
    assert [(f.output, f.channel, f.item, f.format) for f in kept] == [
        ("9", "images", 0, "png"), ("70", "gifs", 0, "mp4"),
        ("9", "images", 1, "png"), ("9", "images", 2, "png"), ("9", "images", 3, "png")]
    assert kept[0] == ReceivedFile("9", "images", 0, "kept/by/golden.png", "png")
    folder = tmp_path / "rid_.._x"  # a request id never names a path outside the artifacts folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "output-70-gifs-1.mp4", "output-9-images-2.png", "output-9-images-3.png", "output-9-images-4.png"]
    assert kept[2].path == str(folder / "output-9-images-2.png")
