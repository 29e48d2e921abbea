"""Small pictures for the HTML gallery: a still, the first, middle and last frame of a motion, a golden's frames.

Pure computation (bytes in, :class:`~reconciler.render.gallery.Preview` out); Pillow decodes pictures and
animations, PyAV decodes video (through :func:`reconciler.smoke.compare.decode`, the comparison's own
reader, so the gallery shows the frames that were compared). Each frame is reduced to at most
:data:`THUMBNAIL_SIDE` px (box filter) and stored as PNG, or JPEG when that is much smaller (photographs);
a file that cannot be read gives a preview with a ``problem`` instead of raising.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from reconciler.render.gallery import Picture, Preview
from reconciler.smoke import compare, media

THUMBNAIL_SIDE = 360
"""Longest side of a gallery thumbnail (px): sharp at the page's 180-px columns on a 2x screen."""
DIFF_SIDE = 360
MOTION_FRAMES = 3
"""First, middle and last."""
COMPARED_FRAMES = compare.SAMPLE_FRAMES
"""A golden comparison's frames (a golden strip holds these), first and last included."""
_JPEG_QUALITY = 85
_VIDEO = ("mp4", "webm", "mkv")


def preview(data: bytes, *, frames: Sequence[int] = (), count: int = MOTION_FRAMES) -> Preview:
    """Thumbnails of a received file: a still's one, or ``count`` evenly spaced frames of a motion (first,
    middle and last by default).

    ``frames`` (the received frame indices a golden comparison sampled) picks those frames instead, so
    they line up with the golden's.
    """
    try:
        total = _frame_count(data)
        indices = list(frames) if len(frames) > 1 else compare.sample_indices(total, count)
        pictures = _frames(data, indices)
    except compare.DecodeError as exc:
        return Preview(problem=f"cannot show this {media.sniff(data) or 'file'}: {exc}")
    motion = total > 1
    return Preview(tuple(_picture(p, i if motion else None) for p, i in pictures), total_frames=total)


def golden_preview(data: bytes, *, frames: Sequence[int] = ()) -> Preview:
    """Thumbnails of a golden strip's frames, labelled with the received frame indices they stand for."""
    try:
        strip = compare.golden_frames(data)
    except compare.DecodeError as exc:
        return Preview(problem=f"cannot show the golden: {exc}")
    labels: list[int | None] = list(frames) if len(frames) == len(strip) and len(strip) > 1 else [None] * len(strip)
    return Preview(tuple(_picture(p, label) for p, label in zip(strip, labels, strict=True)), total_frames=len(strip))


def difference_preview(data: bytes) -> Preview:
    """The difference panel (the right third) of a golden | received | difference sheet."""
    try:
        sheet = Image.open(io.BytesIO(data))
        sheet.load()
        rgb = sheet.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return Preview(problem=f"cannot show the difference: {exc}")
    third = rgb.width // 3
    panel = rgb.crop((2 * third, 0, 3 * third, rgb.height)) if third else rgb
    return Preview((_picture(panel, None, side=DIFF_SIDE),))


def _frame_count(data: bytes) -> int:
    if media.sniff(data) in _VIDEO:
        return _video_count(data)
    try:
        with Image.open(io.BytesIO(data)) as picture:
            return int(getattr(picture, "n_frames", 1))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise compare.DecodeError(f"not a readable image ({exc})") from None


def _frames(data: bytes, indices: Sequence[int]) -> list[tuple[Image.Image, int]]:
    if media.sniff(data) in _VIDEO:
        return _video_frames(data, indices)
    try:
        with Image.open(io.BytesIO(data)) as picture:
            out = []
            for index in indices:
                picture.seek(index)
                out.append((picture.convert("RGB"), index))
            return out
    except (OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise compare.DecodeError(f"not a readable image ({exc})") from None


def _video_count(data: bytes) -> int:
    """Frames in the first video stream: decoded and counted (a container's own count can be missing or wrong)."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            count = sum(1 for _ in container.decode(video=0))
    except (av.FFmpegError, ValueError, IndexError) as exc:
        raise compare.DecodeError(f"not a readable video ({exc})") from None
    if not count:
        raise compare.DecodeError("the video has no frames")
    return count


def _video_frames(data: bytes, indices: Sequence[int]) -> list[tuple[Image.Image, int]]:
    import av

    wanted = set(indices)
    found: dict[int, Image.Image] = {}
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            for i, frame in enumerate(container.decode(video=0)):
                if i in wanted:
                    found[i] = _small(Image.fromarray(frame.to_ndarray(format="rgb24"), "RGB"), THUMBNAIL_SIDE)
                if len(found) == len(wanted):
                    break
    except (av.FFmpegError, ValueError, IndexError) as exc:
        raise compare.DecodeError(f"not a readable video ({exc})") from None
    return [(found[i], i) for i in indices if i in found]


def _small(picture: Image.Image, side: int) -> Image.Image:
    scale = min(1.0, side / max(picture.width, picture.height))
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size, Image.Resampling.BOX) if size != picture.size else picture


def _picture(frame: Image.Image, index: int | None, *, side: int = THUMBNAIL_SIDE) -> Picture:
    small = _small(frame.convert("RGB"), side)
    png = io.BytesIO()
    small.save(png, "PNG", optimize=True)
    jpeg = io.BytesIO()
    small.save(jpeg, "JPEG", quality=_JPEG_QUALITY)
    if jpeg.tell() * 2 < png.tell():
        return Picture("image/jpeg", jpeg.getvalue(), small.width, small.height, index)
    return Picture("image/png", png.getvalue(), small.width, small.height, index)
