"""The emulator sizes an output image from the node that actually shapes its pixels."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.emulator.workflows import image_size

EXAMPLES = Path(__file__).parents[3] / "examples" / "workflows"


def test_img2img_takes_the_image_scale_not_the_text_encoders_target_size():
    graph = json.loads((EXAMPLES / "sdxl-img2img-v2.json").read_text())
    assert graph["16"]["inputs"]["width"] == 4096  # CLIPTextEncodeSDXL comes first in the file
    assert image_size(graph, "9") == (1024, 1024)


def test_txt2img_follows_the_latent_to_the_empty_latent_image():
    graph = json.loads((EXAMPLES / "sdxl-txt2img-v3.json").read_text())
    graph["5"]["inputs"].update(width=768, height=640)
    assert image_size(graph, "9") == (768, 640)


def test_without_an_output_node_the_first_sized_node_wins_and_512_is_the_fallback():
    assert image_size({"1": {"class_type": "X", "inputs": {"width": 64, "height": 32}}}) == (64, 32)
    assert image_size({"1": {"class_type": "X", "inputs": {}}}, "1") == (512, 512)
