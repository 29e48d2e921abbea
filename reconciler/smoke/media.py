"""What a downloaded output file is: its format from the bytes' signature, its size from the header.

Pure: bytes in, values out; never decodes pixels and never trusts a file name or a Content-Type.
Formats: PNG, JPEG, GIF, WebP, MP4 (any ISO-BMFF ``ftyp`` that is not a still-image brand) and WebM
(EBML with DocType ``webm``; other Matroska is ``mkv``). Sizes come from PNG ``IHDR``, the first JPEG
``SOFn`` marker, the GIF logical screen, WebP ``VP8 ``/``VP8L``/``VP8X`` headers and, for MP4, the
first video track's ``tkhd`` (16.16 fixed point). Truncated or odd headers give ``None``, never raise.
"""

from __future__ import annotations

import struct
from typing import Final, NamedTuple

_PNG: Final = b"\x89PNG\r\n\x1a\n"
_JPEG: Final = b"\xff\xd8\xff"
_EBML: Final = b"\x1a\x45\xdf\xa3"
_IMAGE_BRANDS: Final = frozenset({b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1"})
_SOF_MARKERS: Final = frozenset({*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)})
_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})


class MediaInfo(NamedTuple):
    """A file's sniffed format (None when unknown) and pixel size (None when unreadable)."""

    format: str | None
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> str | None:
    """The format named by the bytes' signature: png, jpeg, gif, webp, mp4, webm, mkv, avif/heic, or None."""
    if data.startswith(_PNG):
        return "png"
    if data.startswith(_JPEG):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and len(data) >= 12:
        brand = data[8:12]
        if brand in _IMAGE_BRANDS:
            return "avif" if brand.startswith(b"avi") else "heic"
        return "mp4"
    if data.startswith(_EBML):
        return "webm" if b"webm" in data[:64] else "mkv"
    return None


def inspect(data: bytes) -> MediaInfo:
    """Format and, where the header says, width and height."""
    fmt = sniff(data)
    size: tuple[int, int] | None = None
    try:
        if fmt == "png":
            size = _png_size(data)
        elif fmt == "jpeg":
            size = _jpeg_size(data)
        elif fmt == "gif":
            size = struct.unpack("<HH", data[6:10]) if len(data) >= 10 else None
        elif fmt == "webp":
            size = _webp_size(data)
        elif fmt == "mp4":
            size = _mp4_size(data)
    except (struct.error, IndexError, ValueError):
        size = None
    if size is None:
        return MediaInfo(fmt)
    return MediaInfo(fmt, int(size[0]), int(size[1]))


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= len(data):
            return None
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            continue
        if marker in (0xD9, 0xDA):  # end of image, or entropy-coded data: no frame header before it
            return None
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[pos + 3:pos + 7])
            return width, height
        pos += length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """ISO-BMFF boxes in ``data[start:end]``: (type, payload start, box end)."""
    found: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[pos + 8:pos + 16])
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            break
        found.append((kind, pos + header, pos + size))
        pos += size
    return found


def _mp4_size(data: bytes) -> tuple[int, int] | None:
    for kind, start, end in _boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for trak, t_start, t_end in _boxes(data, start, end):
            if trak != b"trak":
                continue
            for box, b_start, b_end in _boxes(data, t_start, t_end):
                if box == b"tkhd" and b_end - b_start >= 8:
                    width, height = struct.unpack(">II", data[b_end - 8:b_end])
                    if width and height:
                        return width >> 16, height >> 16
    return None
