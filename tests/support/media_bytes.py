"""Minimal real file bytes for tests, written byte by byte: a valid PNG and a minimal MP4 header.

(The emulator used these before it drew its pictures with Pillow and PyAV; the smoke tests still use
them as samples that need no image library.)

The PNG is an 8-bit RGB image of the requested size with a vertical colour gradient, written
with ``zlib`` (signature, IHDR, one IDAT, IEND, each with its CRC), so any decoder opens it and
its IHDR carries the workflow's width and height. The MP4 is an ``ftyp`` box followed by a
``moov`` with ``mvhd`` and one video ``trak`` whose ``tkhd`` carries the width and height
(16.16 fixed point); it has no samples, which is enough for clients that sniff and size it.
Both are cached per (size, colour) so repeated downloads cost nothing.
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 8192


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _clamp(side: int) -> int:
    return max(1, min(MAX_SIDE, int(side)))


@lru_cache(maxsize=32)
def png_bytes(width: int, height: int, seed: int = 0) -> bytes:
    """A valid RGB PNG of ``width`` x ``height`` with a gradient tinted by ``seed``."""
    width, height = _clamp(width), _clamp(height)
    red, green = (seed * 67) % 256, (seed * 131 + 90) % 256
    rows = []
    for y in range(height):
        blue = (y * 255) // max(1, height - 1)
        rows.append(b"\x00" + bytes((red, green, blue)) * width)
    raw = b"".join(rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 1)) + _chunk(b"IEND", b"")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height read from a PNG's IHDR (raises ``ValueError`` if it is not a PNG)."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


@lru_cache(maxsize=32)
def mp4_bytes(width: int, height: int, duration_ms: int = 1000) -> bytes:
    """A minimal MP4 (``ftyp`` + ``moov``/``mvhd``/``trak``/``tkhd``) declaring ``width`` x ``height``."""
    width, height = _clamp(width), _clamp(height)
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
    mvhd = _box(
        b"mvhd",
        struct.pack(">B3xIIII", 0, 0, 0, 1000, duration_ms)
        + struct.pack(">IH10x", 0x10000, 0x0100)
        + _MATRIX
        + bytes(24)
        + struct.pack(">I", 2),
    )
    tkhd = _box(
        b"tkhd",
        struct.pack(">B3BIIIII", 0, 0, 0, 3, 0, 0, 1, 0, duration_ms)
        + bytes(8)
        + struct.pack(">hhH2x", 0, 0, 0)
        + _MATRIX
        + struct.pack(">II", width << 16, height << 16),
    )
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd))
    return ftyp + moov + _box(b"mdat", b"")


def mp4_size(data: bytes) -> tuple[int, int]:
    """Width and height from the first ``tkhd`` box of an MP4 (raises ``ValueError`` if absent)."""
    index = data.find(b"tkhd")
    if data[4:8] != b"ftyp" or index < 0:
        raise ValueError("not an MP4 with a tkhd box")
    # tkhd (version 0): 4 bytes version/flags + 80 bytes of fields, then width, height (16.16).
    start = index + 4 + 76
    width, height = struct.unpack(">II", data[start : start + 8])
    return int(width) >> 16, int(height) >> 16
