"""The emulator's pictures: a deterministic function of what the run asked for, plus optional noise.

What matters in a ComfyUI run is read from the submitted graph (after overrides) along every node
upstream of the output node: the seed (``seed``/``noise_seed``), the prompt text, the sampler and
scheduler, the steps, cfg and denoise, the picture size and the loaded model names (every
``*_name`` input: ``ckpt_name``, ``unet_name``, ``lora_name``, ...). Those values (and the batch
index) are hashed into the seed of a small random scene (a soft colour field and a few shapes) that is
drawn at the asked size with Pillow and numpy: the same request draws the same picture, a change of
any input draws an unrelated one. ``noise`` (``comfyops emulator serve --noise``,
``COMFYOPS_EMULATOR_NOISE``) stands in for run-to-run GPU nondeterminism: a per-pixel Gaussian of that
fraction of full scale, shapes moved by a Gaussian of ``noise`` x half their radius and colours by one of
half the grain; its random stream is seeded by the request and file, so a file downloads the same bytes
every time. A 1024 px still draws in tens of milliseconds, noise included (PNG encoding takes longer).

Animated outputs move the shapes a little per frame. Files are encoded as their saver writes them:
PNG, APNG, animated WebP and GIF with Pillow; MP4 (H.264) and WebM (VP8) with PyAV; FLAC, MP3 and
Opus tones for audio savers.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from reconciler.emulator import workflows

MAX_SIDE = 8192
MAX_FRAMES = 16
DEFAULT_FRAMES = 8
FPS = 8
_TEXT_INPUTS = ("text", "prompt", "text_g", "text_l", "clip_l", "t5xxl", "positive_prompt")
_FRAME_INPUTS = ("length", "video_frames", "frame_count", "num_frames", "frames_number", "batch_size")
_SHAPES = 7
NOISE_ENV = "COMFYOPS_EMULATOR_NOISE"
"""Overrides the state's ``noise`` setting for this process (e.g. for ``comfyops --emulator smoke``)."""


def noise_level(configured: float) -> float:
    """The noise in force: ``COMFYOPS_EMULATOR_NOISE`` when set, else the configured value (0 to 1)."""
    raw = os.environ.get(NOISE_ENV, "").strip()
    if not raw:
        return float(configured)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{NOISE_ENV}={raw!r} is not a number from 0 to 1")
    return value


@dataclass(frozen=True)
class Params:
    """What a run's picture depends on (read from the submitted graph)."""

    width: int
    height: int
    seed: int | None = None
    prompt: str = ""
    sampler: str = ""
    scheduler: str = ""
    steps: int | None = None
    cfg: float | None = None
    denoise: float | None = None
    models: tuple[str, ...] = ()

    def digest(self, item: int = 0) -> int:
        """A 64-bit seed for batch item ``item`` of this run."""
        text = json.dumps({**asdict(self), "item": item}, sort_keys=True)
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def params_for(graph: Mapping[str, Any], output_node: str) -> Params:
    """The inputs that decide ``output_node``'s picture, read from every node upstream of it."""
    found: dict[str, Any] = {"prompt": [], "models": set()}
    for node_id in sorted(workflows.upstream(dict(graph), output_node)):
        node = graph.get(node_id)
        inputs = node.get("inputs", {}) if isinstance(node, dict) else {}
        for key, value in sorted(inputs.items()):
            if key in ("seed", "noise_seed") and _int(value) is not None:
                found.setdefault("seed", _int(value))
            elif key in _TEXT_INPUTS and isinstance(value, str):
                found["prompt"].append(value)
            elif key in ("sampler_name", "scheduler") and isinstance(value, str):
                found.setdefault("sampler" if key == "sampler_name" else "scheduler", value)
            elif key == "steps" and _int(value) is not None:
                found.setdefault("steps", _int(value))
            elif key in ("cfg", "denoise") and _float(value) is not None:
                found.setdefault(key, _float(value))
            elif key.endswith("_name") and isinstance(value, str):
                found["models"].add(value)
    width, height = workflows.image_size(dict(graph), output_node)
    return Params(
        width=max(1, min(MAX_SIDE, width)), height=max(1, min(MAX_SIDE, height)), seed=found.get("seed"),
        prompt="\n".join(found["prompt"]), sampler=found.get("sampler", ""), scheduler=found.get("scheduler", ""),
        steps=found.get("steps"), cfg=found.get("cfg"), denoise=found.get("denoise"),
        models=tuple(sorted(found["models"])),
    )


def frame_count(graph: Mapping[str, Any], output_node: str) -> int:
    """How many frames an animated output has: the first length/frame/batch input upstream (1-16; else 8)."""
    for node_id in workflows.upstream(dict(graph), output_node):
        node = graph.get(node_id)
        inputs = node.get("inputs", {}) if isinstance(node, dict) else {}
        for key in _FRAME_INPUTS:
            value = _int(inputs.get(key))
            if value is not None and value > 0:
                return min(MAX_FRAMES, value)
    return DEFAULT_FRAMES


def render(params: Params, *, item: int = 0, frame: int = 0, noise: float = 0.0, noise_key: str = "") -> Image.Image:
    """The RGB picture for batch ``item``, animation ``frame``, with ``noise`` seeded by ``noise_key``."""
    rng = np.random.default_rng(params.digest(item))
    jitter = np.random.default_rng(_key_seed(f"{noise_key}/shapes"))
    w, h = params.width, params.height
    field = rng.integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
    picture = Image.fromarray(field, "RGB").resize((w, h), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(picture)
    side = max(w, h)
    for _ in range(_SHAPES):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        vx, vy = rng.uniform(-0.01, 0.01, size=2) * side
        r = rng.uniform(0.06, 0.2) * side
        colour = rng.integers(0, 256, size=3)
        ellipse = rng.random() < 0.5
        if noise > 0:  # a run on another GPU: shapes a fraction of a pixel off, colours a little off
            cx, cy = cx + jitter.normal(0, noise * r * 0.5), cy + jitter.normal(0, noise * r * 0.5)
            colour = np.clip(colour + jitter.normal(0, noise * 255 * 0.5, size=3), 0, 255)
        x, y = cx + vx * frame, cy + vy * frame
        box = (x - r, y - r, x + r, y + r)
        fill = tuple(int(c) for c in colour)
        if ellipse:
            draw.ellipse(box, fill=fill)
        else:
            draw.rectangle(box, fill=fill)
    if noise <= 0:
        return picture
    return _noisy(picture, noise, noise_key)


def _key_seed(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def _noisy(picture: Image.Image, noise: float, key: str) -> Image.Image:
    """``picture`` with a per-pixel Gaussian of ``noise`` x full scale (one value per pixel, all channels)."""
    rng = np.random.default_rng(_key_seed(key))
    grain = (rng.standard_normal((picture.height, picture.width), dtype=np.float32) * (noise * 255.0)).astype(np.int16)
    pixels: NDArray[np.int16] = np.asarray(picture).astype(np.int16)
    pixels += grain[:, :, None]
    np.clip(pixels, 0, 255, out=pixels)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def frames(params: Params, count: int, *, noise: float, noise_key: str) -> list[Image.Image]:
    """``count`` frames of an animated output."""
    return [render(params, frame=i, noise=noise, noise_key=f"{noise_key}#{i}") for i in range(count)]


def encode_still(picture: Image.Image) -> bytes:
    """A PNG, as SaveImage writes it (fast compression)."""
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)
    return out.getvalue()


def encode_animation(pictures: list[Image.Image], extension: str) -> bytes:
    """Frames as one animated file: ``png`` (APNG), ``webp`` or ``gif`` with Pillow; ``mp4``/``webm`` with PyAV."""
    if extension in ("mp4", "webm", "mov"):
        return _encode_video(pictures, extension)
    out = io.BytesIO()
    first, rest = pictures[0], pictures[1:]
    duration = int(1000 / FPS)
    if extension == "webp":
        first.save(out, "WEBP", save_all=True, append_images=rest, duration=duration, quality=85, method=0)
    elif extension == "gif":
        first.save(out, "GIF", save_all=True, append_images=rest, duration=duration, loop=0)
    else:
        first.save(out, "PNG", save_all=True, append_images=rest, duration=duration, compress_level=1)
    return out.getvalue()


def _encode_video(pictures: list[Image.Image], extension: str) -> bytes:
    import av

    out = io.BytesIO()
    container_format = {"mp4": "mp4", "webm": "webm", "mov": "mov"}[extension]
    codec = "libvpx" if extension == "webm" else "libx264"
    width, height = pictures[0].size
    width, height = max(2, width - width % 2), max(2, height - height % 2)  # 4:2:0 needs even sides
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=FPS)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "18", "preset": "ultrafast"}
        else:
            stream.bit_rate = 4_000_000
            stream.options = {"deadline": "realtime", "cpu-used": "8"}
        for picture in pictures:
            frame = av.VideoFrame.from_ndarray(np.asarray(picture.crop((0, 0, width, height))), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def encode_audio(params: Params, extension: str, item: int = 0) -> bytes:
    """A one-second tone whose pitch follows the run's inputs, as FLAC, MP3 or Opus (in Ogg)."""
    import av

    rate = 48000
    pitch = 220 + params.digest(item) % 660
    samples = (0.2 * np.sin(2 * np.pi * pitch * np.arange(rate) / rate)).astype(np.float32).reshape(1, -1)
    codec, container_format = {"flac": ("flac", "flac"), "mp3": ("libmp3lame", "mp3"),
                               "opus": ("libopus", "ogg")}[extension]
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


@lru_cache(maxsize=16)
def file_bytes(graph_json: str, node_id: str, item: int, extension: str, animated: bool, noise: float,
               noise_key: str) -> bytes:
    """The bytes of one output file (cached: a file downloads the same every time)."""
    graph = json.loads(graph_json)
    params = params_for(graph, node_id)
    if extension in ("flac", "mp3", "opus"):
        return encode_audio(params, extension, item)
    if animated:
        count = frame_count(graph, node_id)
        return encode_animation(frames(params, count, noise=noise, noise_key=noise_key), extension)
    return encode_still(render(params, item=item, noise=noise, noise_key=noise_key))
