"""Golden comparison: frames sampled, goldens small, figures measured, shapes refused, video decoded."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from reconciler.smoke import compare


def scene(seed: int, size: tuple[int, int] = (320, 240), *, grain: float = 0.0, shift: int = 0) -> Image.Image:
    """A picture with a few shapes (``seed`` picks them), optionally with pixel grain."""
    rng = np.random.default_rng(seed)
    picture = Image.new("RGB", size, tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(6):
        x, y = rng.uniform(0, size[0]) + shift, rng.uniform(0, size[1])
        r = rng.uniform(0.08, 0.25) * max(size)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    if grain:
        pixels = np.asarray(picture, dtype=np.float32)
        rng = np.random.default_rng(seed + 1000 + shift + int(grain * 1000))
        noise = rng.normal(0, grain * 255, pixels.shape[:2])[:, :, None]
        picture = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    return picture


def encoded(picture: Image.Image | list[Image.Image], fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    if isinstance(picture, list):
        picture[0].save(out, fmt, save_all=True, append_images=picture[1:], duration=100)
    else:
        picture.save(out, fmt)
    return out.getvalue()


def check(received: bytes, golden: bytes) -> compare.Comparison:
    return compare.compare(received, golden, max_hash_distance=12, min_ssim=0.75)


@pytest.mark.parametrize(("total", "indices"), [(1, [0]), (3, [0, 1, 2]), (4, [0, 1, 2, 3]), (10, [0, 3, 6, 9]),
                                                (100, [0, 33, 66, 99])])
def test_frames_are_sampled_evenly_first_and_last_included(total: int, indices: list[int]) -> None:
    assert compare.sample_indices(total) == indices


def test_a_golden_is_a_small_png_strip_with_its_frame_count() -> None:
    golden = compare.make_golden(encoded(scene(1, (1600, 1200))))
    picture = Image.open(io.BytesIO(golden))
    assert picture.format == "PNG" and picture.size == (256, 192) and picture.info[compare.FRAMES_KEY] == "1"
    frames = [scene(1, (400, 200), shift=i * 10) for i in range(10)]
    strip = Image.open(io.BytesIO(compare.make_golden(encoded(frames, "WEBP"))))
    assert strip.size == (4 * 256, 128) and strip.info[compare.FRAMES_KEY] == "4"
    assert len(compare.golden_frames(compare.make_golden(encoded(frames, "GIF")))) == 4


def test_the_same_picture_with_grain_passes_and_another_fails_with_figures() -> None:
    golden = compare.make_golden(encoded(scene(1, grain=0.03)))
    same = check(encoded(scene(1, grain=0.04)), golden)
    assert same.passed and same.hash_distance is not None and same.hash_distance <= 4
    assert same.ssim is not None and same.ssim > 0.9 and same.diff_png is None
    other = check(encoded(scene(2, grain=0.03)), golden)
    assert not other.passed and other.problem is None
    assert other.hash_distance is not None and other.hash_distance > 12 and other.ssim is not None
    assert other.ssim < 0.75
    sheet = Image.open(io.BytesIO(other.diff_png or b""))
    assert sheet.size == (3 * 256, 192)  # golden | received | difference


def test_a_plain_png_golden_and_a_jpeg_received_compare() -> None:
    golden = encoded(scene(3, (128, 96)))  # hand-made golden: no frame count, one frame
    assert check(encoded(scene(3, (512, 384)), "JPEG"), golden).passed


def test_aspect_ratio_and_frame_count_changes_fail_without_pixel_figures() -> None:
    golden = compare.make_golden(encoded(scene(1, (320, 240))))
    wide = check(encoded(scene(1, (320, 180))), golden)
    assert not wide.passed and wide.frames == () and "aspect ratio" in (wide.problem or "")
    animated = check(encoded([scene(1, shift=i) for i in range(3)], "WEBP"), golden)
    assert not animated.passed and animated.problem == "has 3 sampled frame(s), the golden 1"


def test_animation_compared_frame_by_frame_reports_the_worst_frame() -> None:
    frames = [scene(1, shift=i * 8) for i in range(6)]
    golden = compare.make_golden(encoded(frames, "PNG"))
    assert check(encoded(frames, "WEBP"), golden).passed
    broken = [*frames[:5], scene(9)]  # the last sampled frame is another picture
    result = check(encoded(broken, "WEBP"), golden)
    assert not result.passed and [f.index for f in result.frames] == [0, 2, 3, 5]
    assert result.worst is not None and result.worst.index == 5


def test_video_is_decoded_with_pyav() -> None:
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=8)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(9):
            frame = av.VideoFrame.from_ndarray(np.asarray(scene(4, shift=i * 4)), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    frames, indices = compare.decode(out.getvalue())
    assert indices == [0, 3, 5, 8] and frames[0].size == (320, 240)
    golden = compare.make_golden(out.getvalue())
    assert check(out.getvalue(), golden).passed


def test_unreadable_bytes_raise_decode_error() -> None:
    with pytest.raises(compare.DecodeError):
        compare.decode(b"not a picture")
    with pytest.raises(compare.DecodeError):
        compare.golden_frames(b"\x89PNG\r\n\x1a\n broken")
