"""Format and size sniffing from bytes, for every format the smoke checks know."""

from __future__ import annotations

import pytest

from reconciler.smoke import media
from tests.unit.smoke import samples


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.png(640, 384), media.MediaInfo("png", 640, 384)),
        (samples.jpeg(800, 600), media.MediaInfo("jpeg", 800, 600)),
        (samples.gif(33, 17), media.MediaInfo("gif", 33, 17)),
        (samples.webp_vp8(320, 240), media.MediaInfo("webp", 320, 240)),
        (samples.webp_vp8l(1000, 999), media.MediaInfo("webp", 1000, 999)),
        (samples.webp_vp8x(4096, 2160), media.MediaInfo("webp", 4096, 2160)),
        (samples.mp4(512, 288), media.MediaInfo("mp4", 512, 288)),
        (samples.webm(), media.MediaInfo("webm")),
    ],
    ids=["png", "jpeg", "gif", "webp-vp8", "webp-vp8l", "webp-vp8x", "mp4", "webm"],
)
def test_inspect_reads_format_and_size_from_the_header(data: bytes, expected: media.MediaInfo) -> None:
    assert media.inspect(data) == expected


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world", b"<html><body>404</body></html>", b"\x00" * 64],
)
def test_unknown_bytes_have_no_format(data: bytes) -> None:
    assert media.inspect(data) == media.MediaInfo(None)


def test_truncated_headers_keep_the_format_but_not_the_size() -> None:
    assert media.inspect(samples.png(10, 10)[:20]) == media.MediaInfo("png")
    assert media.inspect(samples.jpeg(10, 10)[:8]) == media.MediaInfo("jpeg")
    assert media.inspect(samples.gif(10, 10)[:8]) == media.MediaInfo("gif")
    assert media.inspect(samples.webp_vp8(10, 10)[:24]) == media.MediaInfo("webp")


def test_still_image_brands_of_iso_bmff_are_not_mp4() -> None:
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"
    assert media.sniff(avif) == "avif"


def test_jpeg_skips_segments_before_the_frame_header() -> None:
    exif = b"\xff\xe1" + (20).to_bytes(2, "big") + b"Exif\x00\x00" + b"\x00" * 12
    data = samples.jpeg(123, 45)
    data = data[:2] + exif + data[2:]
    assert media.inspect(data) == media.MediaInfo("jpeg", 123, 45)
