"""Gallery thumbnails: a still's one, a motion's first, middle and last frames (Pillow and PyAV), a golden's strip."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from reconciler.smoke import compare, thumbnails


def frame(i: int, size: tuple[int, int] = (640, 400)) -> Image.Image:
    """A picture that says which frame it is: its red channel is ``20 * i``."""
    return Image.new("RGB", size, (20 * i, 90, 160))


def animated(fmt: str, count: int = 9) -> bytes:
    frames = [frame(i) for i in range(count)]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0,
                   **({"lossless": True} if fmt == "WEBP" else {}))
    return out.getvalue()


def video(count: int = 9) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=8)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(count):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame(i, (320, 240))), format="rgb24")))
        container.mux(stream.encode(None))
    return out.getvalue()


def red(picture: thumbnails.Picture) -> int:
    return int(Image.open(io.BytesIO(picture.data)).convert("RGB").getpixel((2, 2))[0])


def test_a_still_is_one_small_picture_without_a_frame_label() -> None:
    out = io.BytesIO()
    frame(0, (1200, 800)).save(out, "PNG")
    shown = thumbnails.preview(out.getvalue())
    [picture] = shown.pictures
    assert (picture.width, picture.height) == (360, 240) and picture.frame is None and shown.total_frames == 1
    assert Image.open(io.BytesIO(picture.data)).size == (360, 240)


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_an_animation_shows_its_first_middle_and_last_frames(fmt: str) -> None:
    shown = thumbnails.preview(animated(fmt))
    assert [p.frame for p in shown.pictures] == [0, 4, 8] and shown.total_frames == 9
    assert [red(p) for p in shown.pictures] == pytest.approx([0, 80, 160], abs=12)


def test_a_video_shows_its_first_middle_and_last_frames_through_pyav() -> None:
    shown = thumbnails.preview(video())
    assert [p.frame for p in shown.pictures] == [0, 4, 8] and shown.total_frames == 9
    assert [red(p) for p in shown.pictures] == pytest.approx([0, 80, 160], abs=12)


def test_the_frames_a_golden_comparison_sampled_line_up_with_the_golden_strip() -> None:
    data = animated("GIF")
    golden = compare.make_golden(data)
    _, indices = compare.decode(data)
    received = thumbnails.preview(data, frames=indices)
    strip = thumbnails.golden_preview(golden, frames=indices)
    assert [p.frame for p in received.pictures] == [p.frame for p in strip.pictures] == indices == [0, 3, 5, 8]
    assert [red(p) for p in strip.pictures] == pytest.approx([red(p) for p in received.pictures], abs=12)


def test_the_difference_panel_is_the_right_third_of_the_sheet() -> None:
    sheet = Image.new("RGB", (300, 50), "black")
    sheet.paste(Image.new("RGB", (100, 50), "white"), (200, 0))
    out = io.BytesIO()
    sheet.save(out, "PNG")
    [panel] = thumbnails.difference_preview(out.getvalue()).pictures
    assert (panel.width, panel.height) == (100, 50) and red(panel) == 255


@pytest.mark.parametrize("maker", [thumbnails.preview, thumbnails.golden_preview, thumbnails.difference_preview])
def test_unreadable_bytes_give_a_problem_not_an_exception(maker: object) -> None:
    shown = maker(b"\x89PNG\r\n\x1a\n not really")  # type: ignore[operator]
    assert shown.pictures == () and shown.problem.startswith("cannot show")


def test_a_golden_just_recorded_lines_up_with_its_strip_by_the_compared_frame_count() -> None:
    data = animated("WEBP")
    received = thumbnails.preview(data, count=thumbnails.COMPARED_FRAMES)
    strip = thumbnails.golden_preview(compare.make_golden(data))
    assert [p.frame for p in received.pictures] == [0, 3, 5, 8] and len(strip.pictures) == 4
