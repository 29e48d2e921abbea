"""Which result channel each ComfyUI save node reports its files under, and what files it writes.

Pure data. Read from ComfyUI 0.3.64 (``nodes.py``, ``comfy_extras/nodes_images.py``,
``comfy_extras/nodes_video.py``, ``comfy_extras/nodes_audio.py``, ``comfy_api/latest/_ui.py``) and
ComfyUI-VideoHelperSuite:

- ``SaveImage`` / ``PreviewImage``: ``images``, one PNG per batch item (preview files are ``temp``);
- ``SaveAnimatedWEBP`` / ``SaveAnimatedPNG``: ``images`` with ``animated: [true]``, one ``.webp`` /
  ``.png`` (APNG) for the whole batch;
- ``SaveWEBM`` / ``SaveVideo``: ``images`` with ``animated: [true]``, one ``.webm`` / ``.mp4``;
- ``SaveAudio`` / ``SaveAudioMP3`` / ``SaveAudioOpus`` / ``PreviewAudio``: ``audio``;
- ``VHS_VideoCombine`` (custom): ``gifs``, one file whose format its ``format`` input names;
- text display nodes (``PreviewAny``, ``ShowText|pysssss``, ...): ``text``.

Used by the emulator (what a run returns) and by manifest validation (an expectation on a node that
produces nothing, or on a channel the node does not fill, is refused before a paid run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

Channel = Literal["images", "gifs", "audio", "text"]


@dataclass(frozen=True)
class Saver:
    """What one output node class reports: its channel, file extension, whether it is animated."""

    channel: Channel
    extension: str = ""
    """The file extension it writes (``""`` for text)."""
    animated: bool = False
    """Reported with ``animated: [true]`` (one file holding every frame of the batch)."""
    folder: str = "output"
    """ComfyUI's folder type of its files: ``output`` or ``temp`` (previews)."""
    per_item: bool = True
    """One file per batch item (stills, audio) rather than one file for the whole batch."""


SAVERS: Final[Mapping[str, Saver]] = {
    "SaveImage": Saver("images", "png"),
    "PreviewImage": Saver("images", "png", folder="temp"),
    "Image Save": Saver("images", "png"),
    "SaveImageWebsocket": Saver("images", "png"),
    "SaveAnimatedWEBP": Saver("images", "webp", animated=True, per_item=False),
    "SaveAnimatedPNG": Saver("images", "png", animated=True, per_item=False),
    "SaveWEBM": Saver("images", "webm", animated=True, per_item=False),
    "SaveVideo": Saver("images", "mp4", animated=True, per_item=False),
    "SaveAudio": Saver("audio", "flac", per_item=True),
    "SaveAudioMP3": Saver("audio", "mp3", per_item=True),
    "SaveAudioOpus": Saver("audio", "opus", per_item=True),
    "PreviewAudio": Saver("audio", "flac", folder="temp", per_item=True),
    "VHS_VideoCombine": Saver("gifs", "mp4", per_item=False),
    "PreviewAny": Saver("text"),
    "ShowText": Saver("text"),
    "ShowText|pysssss": Saver("text"),
    "Display Any (rgthree)": Saver("text"),
}

VHS_FORMATS: Final[Mapping[str, str]] = {
    "image/gif": "gif",
    "image/webp": "webp",
    "video/webm": "webm",
    "video/vp9-webm": "webm",
    "video/av1-webm": "webm",
    "video/h264-mp4": "mp4",
    "video/h265-mp4": "mp4",
    "video/nvenc_h264-mp4": "mp4",
    "video/ProRes": "mov",
}
"""VHS_VideoCombine's ``format`` input -> the extension of the file it writes."""

def saver(class_type: str) -> Saver | None:
    """The saver a node class is, or None when it is not a known output node."""
    found = SAVERS.get(class_type)
    if found is None and class_type.startswith("ShowText"):
        return SAVERS["ShowText"]
    return found


def vhs_format(inputs: Mapping[str, Any]) -> tuple[str, str]:
    """VHS_VideoCombine's ``(format, extension)`` from its inputs (``video/h264-mp4``, ``mp4`` by default)."""
    fmt = inputs.get("format")
    if isinstance(fmt, str) and fmt in VHS_FORMATS:
        return fmt, VHS_FORMATS[fmt]
    return "video/h264-mp4", "mp4"

