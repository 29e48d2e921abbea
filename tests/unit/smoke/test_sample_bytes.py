"""The test sample bytes: PNGs decode with the right IHDR size; MP4s carry ftyp and tkhd width/height."""

from __future__ import annotations

import struct
import zlib

import pytest

from support import media_bytes as media


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    pos, found = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        found.append((kind, body))
        pos += 12 + length
    return found


@pytest.mark.parametrize(("width", "height"), [(512, 512), (640, 384), (1, 1), (1024, 768)])
def test_png_decodes_with_the_requested_size(width: int, height: int) -> None:
    data = media.png_bytes(width, height, seed=3)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks = _chunks(data)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    w, h, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (w, h, depth, colour) == (width, height, 8, 2)
    raw = zlib.decompress(chunks[1][1])
    assert len(raw) == height * (1 + 3 * width)
    assert media.png_size(data) == (width, height)


def test_png_size_rejects_other_bytes() -> None:
    with pytest.raises(ValueError):
        media.png_size(b"GIF89a....")


def test_mp4_has_ftyp_and_tkhd_size() -> None:
    data = media.mp4_bytes(832, 480)
    assert data[4:8] == b"ftyp"
    assert b"moov" in data and b"tkhd" in data
    assert media.mp4_size(data) == (832, 480)
    with pytest.raises(ValueError):
        media.mp4_size(b"\x00\x00\x00\x08free")
