"""A received output compared with its golden: perceptual hashes and structural similarity, frame by frame.

Pure computation (bytes in, values out); imports Pillow, numpy, ImageHash, scikit-image and (for
video) PyAV, so callers import this module only when a golden is checked.

- Frames: a still is one frame; an animated WebP, GIF or APNG (Pillow) and an MP4 or WebM (PyAV) are
  sampled at :data:`SAMPLE_FRAMES` evenly spaced frames (first and last included).
- A golden is a small PNG: the sampled frames, each resized to at most :data:`GOLDEN_SIDE` px, side by
  side in one strip, with the frame count in a ``comfyops:frames`` text chunk (a plain PNG without it
  is one frame), so it fits in git and shows in a pull request's diff.
- Each received frame is reduced to its golden frame's size (box filter: averaging, which also averages
  run-to-run pixel noise away) and compared: pHash and dHash distances (ImageHash, 64 bits each; the
  larger one counts) and SSIM (scikit-image, colour, after a light Gaussian blur of both, so that it
  measures the picture's structure rather than pixel grain). The output's figures are the worst frame's.
- A different aspect ratio (beyond 2 %) or frame count fails without pixel figures.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import imagehash
import numpy as np
from PIL import Image, ImageFilter, PngImagePlugin
from skimage.metrics import structural_similarity

from reconciler.smoke import media

SAMPLE_FRAMES = 4
GOLDEN_SIDE = 256
FRAMES_KEY = "comfyops:frames"
ASPECT_TOLERANCE = 0.02
SSIM_BLUR_RADIUS = 1.5
"""Both frames are blurred this much (px, at the golden's size) before SSIM: structure, not pixel grain."""
_VIDEO = ("mp4", "webm", "mkv")


class DecodeError(ValueError):
    """The bytes are not a picture this module can read."""


@dataclass(frozen=True)
class FrameFigures:
    """One frame's figures: its index in the received file, the hash distances and SSIM."""

    index: int
    phash: int
    dhash: int
    ssim: float

    @property
    def hash_distance(self) -> int:
        """The larger of the two hash distances."""
        return max(self.phash, self.dhash)


@dataclass(frozen=True)
class Comparison:
    """The outcome of one comparison; ``problem`` is set when the shapes differ (no pixel figures then)."""

    passed: bool
    frames: tuple[FrameFigures, ...] = ()
    problem: str | None = None
    diff_png: bytes | None = field(default=None, repr=False)
    """Golden | received | amplified difference of the worst frame, side by side (only when it failed)."""

    @property
    def worst(self) -> FrameFigures | None:
        """The frame with the lowest SSIM (None without figures)."""
        return min(self.frames, key=lambda f: f.ssim) if self.frames else None

    @property
    def hash_distance(self) -> int | None:
        """The largest hash distance over the frames."""
        return max((f.hash_distance for f in self.frames), default=None)

    @property
    def ssim(self) -> float | None:
        """The lowest SSIM over the frames."""
        return min((f.ssim for f in self.frames), default=None)


def sample_indices(total: int, count: int = SAMPLE_FRAMES) -> list[int]:
    """``count`` evenly spaced frame indices of ``total`` (all of them when there are fewer)."""
    if total <= count:
        return list(range(total))
    return sorted({round(i * (total - 1) / (count - 1)) for i in range(count)})


def decode(data: bytes) -> tuple[list[Image.Image], list[int]]:
    """The sampled frames of an image, animation or video (RGB) and their indices; raises :class:`DecodeError`."""
    if media.sniff(data) in _VIDEO:
        return _decode_video(data)
    try:
        picture = Image.open(io.BytesIO(data))
        total = int(getattr(picture, "n_frames", 1))
        indices = sample_indices(total)
        frames = []
        for index in indices:
            picture.seek(index)
            frames.append(picture.convert("RGB"))
    except (OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise DecodeError(f"not a readable image ({exc})") from None
    return frames, indices


def _decode_video(data: bytes) -> tuple[list[Image.Image], list[int]]:
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            decoded = [Image.fromarray(frame.to_ndarray(format="rgb24"), "RGB") for frame in container.decode(video=0)]
    except (av.FFmpegError, ValueError, IndexError) as exc:
        raise DecodeError(f"not a readable video ({exc})") from None
    if not decoded:
        raise DecodeError("the video has no frames")
    indices = sample_indices(len(decoded))
    return [decoded[i].convert("RGB") for i in indices], indices


def golden_frames(data: bytes) -> list[Image.Image]:
    """The frames of a golden strip (one frame for a PNG without ``comfyops:frames``)."""
    try:
        strip = Image.open(io.BytesIO(data))
        strip.load()
        count = int(strip.info.get(FRAMES_KEY, "1"))
        rgb = strip.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DecodeError(f"not a readable golden image ({exc})") from None
    if count < 1 or rgb.width % count:
        raise DecodeError(f"its {FRAMES_KEY} text ({count}) does not divide its width ({rgb.width})")
    width = rgb.width // count
    return [rgb.crop((i * width, 0, (i + 1) * width, rgb.height)) for i in range(count)]


def _small(picture: Image.Image, side: int = GOLDEN_SIDE) -> Image.Image:
    scale = min(1.0, side / max(picture.width, picture.height))
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size, Image.Resampling.BOX) if size != picture.size else picture


def make_golden(received: bytes) -> bytes:
    """A golden PNG from a received output: its sampled frames, small, side by side (raises :class:`DecodeError`)."""
    frames, _ = decode(received)
    small = [_small(f) for f in frames]
    strip = Image.new("RGB", (small[0].width * len(small), small[0].height))
    for i, frame in enumerate(small):
        strip.paste(frame.resize(small[0].size, Image.Resampling.BOX), (i * small[0].width, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text(FRAMES_KEY, str(len(small)))
    out = io.BytesIO()
    strip.save(out, "PNG", pnginfo=info, optimize=True)
    return out.getvalue()


def _figures(golden: Image.Image, received: Image.Image, index: int) -> FrameFigures:
    reduced = received.resize(golden.size, Image.Resampling.BOX)
    phash = int(imagehash.phash(golden) - imagehash.phash(reduced))
    dhash = int(imagehash.dhash(golden) - imagehash.dhash(reduced))
    blur = ImageFilter.GaussianBlur(SSIM_BLUR_RADIUS)
    a = np.asarray(golden.filter(blur), dtype=np.float64)
    b = np.asarray(reduced.filter(blur), dtype=np.float64)
    window = min(7, min(golden.size) - (1 - min(golden.size) % 2))
    if window < 3:
        ssim = 1.0 if np.array_equal(a, b) else 0.0
    else:
        measure: Any = structural_similarity  # scikit-image has no type hints
        ssim = float(measure(a, b, data_range=255.0, channel_axis=2, win_size=window))
    return FrameFigures(index, phash, dhash, round(ssim, 4))


def _aspect(picture: Image.Image) -> float:
    return picture.width / picture.height


def compare(received: bytes, golden: bytes, *, max_hash_distance: int, min_ssim: float) -> Comparison:
    """``received`` against ``golden`` with the thresholds (raises :class:`DecodeError` if either is unreadable)."""
    wanted = golden_frames(golden)
    frames, indices = decode(received)
    if len(frames) != len(wanted):
        return Comparison(False, problem=f"has {len(frames)} sampled frame(s), the golden {len(wanted)}")
    got, want = _aspect(frames[0]), _aspect(wanted[0])
    if abs(got - want) / want > ASPECT_TOLERANCE:
        shape = f"{frames[0].width}x{frames[0].height}"
        return Comparison(False, problem=f"is {shape}, aspect ratio {got:.3f}; the golden's is {want:.3f}")
    figures = tuple(_figures(g, r, i) for g, r, i in zip(wanted, frames, indices, strict=True))
    passed = all(f.hash_distance <= max_hash_distance and f.ssim >= min_ssim for f in figures)
    if passed:
        return Comparison(True, figures)
    worst = min(range(len(figures)), key=lambda i: figures[i].ssim)
    return Comparison(False, figures, diff_png=_diff(wanted[worst], frames[worst]))


def _diff(golden: Image.Image, received: Image.Image) -> bytes:
    """Golden | received (at the golden's size) | the difference amplified four times, side by side."""
    reduced = received.resize(golden.size, Image.Resampling.BOX)
    delta: Any = np.abs(np.asarray(golden, dtype=np.int16) - np.asarray(reduced, dtype=np.int16))
    amplified = Image.fromarray(np.clip(delta * 4, 0, 255).astype(np.uint8), "RGB")
    sheet = Image.new("RGB", (golden.width * 3, golden.height), "white")
    for i, part in enumerate((golden, reduced, amplified)):
        sheet.paste(part, (i * golden.width, 0))
    out = io.BytesIO()
    sheet.save(out, "PNG")
    return out.getvalue()
