"""The emulator over real HTTP: each save node's channel and files as ComfyUI 0.3.64 reports them, and
pictures that follow the request (same request: near-identical; any input changed: measurably different)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.smoke import compare, media

BASE: dict[str, Any] = {
    "3": {"class_type": "KSampler", "inputs": {
        "seed": 7, "steps": 20, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
        "model": ["4", 0], "positive": ["6", 0], "negative": ["6", 0], "latent_image": ["5", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 320, "height": 192, "batch_size": 3}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red boat", "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
}
SAVERS: dict[str, tuple[str, dict[str, Any]]] = {
    "10": ("SaveImage", {"filename_prefix": "x"}),
    "11": ("PreviewImage", {}),
    "12": ("SaveAnimatedWEBP", {"fps": 6.0}),
    "13": ("SaveAnimatedPNG", {"fps": 6.0}),
    "14": ("SaveWEBM", {"codec": "vp9", "fps": 6.0}),
    "15": ("SaveVideo", {"format": "mp4"}),
    "16": ("VHS_VideoCombine", {"frame_rate": 8, "format": "video/h264-mp4"}),
    "17": ("VHS_VideoCombine", {"frame_rate": 8, "format": "image/gif"}),
    "18": ("SaveAudio", {}),
    "19": ("SaveAudioMP3", {}),
    "20": ("SaveAudioOpus", {}),
}
GRAPH = {**BASE, **{n: {"class_type": c, "inputs": {"images": ["8", 0], **i}} for n, (c, i) in SAVERS.items()}}


class Api:
    """A deployment on the served emulator, and a way to run one request to its result."""

    def __init__(self, emulator: EmbeddedEmulator) -> None:
        self.http = httpx.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer t"}, timeout=30)
        body = {"name": "outs", "workflow_id": "wf-o", "workflow_version": "v1"}
        self.deployment = self.http.post("/prod/v2/deployments", json=body).json()["id"]

    def run(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        submitted = self.http.post(f"/prod/v1/deployments/{self.deployment}/inference",
                                   json={"overrides": overrides or {}}).json()
        for _ in range(200):  # bounded by polls, not by the wall clock
            result: dict[str, Any] = self.http.get(submitted["result_url"]).json()
            if result["status"] in ("succeeded", "failed", "cancelled"):
                return result
            time.sleep(0.05)
        raise AssertionError("the request never finished")

    def download(self, item: dict[str, Any]) -> bytes:
        response = self.http.get(item["url"])
        assert response.status_code == 200, response.text
        return response.content


@pytest.fixture
def api(emulator: EmbeddedEmulator) -> Iterator[Api]:
    emulator.register_workflow("wf-o", "v1", GRAPH)
    client = Api(emulator)
    yield client
    client.http.close()


def test_each_save_node_reports_the_channel_comfyui_uses(api: Api) -> None:
    outputs = api.run()["outputs"]
    stills = outputs["10"]
    assert set(stills) == {"images"} and len(stills["images"]) == 3 and stills["images"][0]["type"] == "output"
    assert outputs["11"]["images"][0]["type"] == "temp" and "animated" not in outputs["11"]
    expected = {"12": ".webp", "13": ".png", "14": ".webm", "15": ".mp4"}
    for node, suffix in expected.items():
        assert set(outputs[node]) == {"images", "animated"} and outputs[node]["animated"] == [True]
        [item] = outputs[node]["images"]
        assert item["filename"].endswith(suffix)
    assert outputs["16"]["gifs"][0]["filename"].endswith(".mp4")
    assert outputs["16"]["gifs"][0]["format"] == "video/h264-mp4"
    assert outputs["17"]["gifs"][0]["filename"].endswith(".gif")
    for node, suffix in {"18": ".flac", "19": ".mp3", "20": ".opus"}.items():
        assert set(outputs[node]) == {"audio"} and outputs[node]["audio"][0]["filename"].endswith(suffix)


def test_files_are_what_their_names_say(api: Api) -> None:
    from PIL import Image

    outputs = api.run()["outputs"]
    formats = {"10": "png", "12": "webp", "13": "png", "14": "webm", "15": "mp4", "16": "mp4", "17": "gif"}
    for node, fmt in formats.items():
        [item, *_] = next(v for k, v in outputs[node].items() if k != "animated")
        data = api.download(item)
        assert media.sniff(data) == fmt, node
        frames, indices = compare.decode(data)
        assert frames[0].size == (320, 192), node
        if node != "10":
            assert indices == [0, 1, 2], node  # the batch of 3 is the animation's frames
    assert Image.open(io.BytesIO(api.download(outputs["13"]["images"][0]))).n_frames == 3  # APNG: the batch
    assert api.download(outputs["18"]["audio"][0]).startswith(b"fLaC")
    assert api.download(outputs["20"]["audio"][0])[:4] == b"OggS"


@pytest.mark.parametrize("change", [
    {"3": {"inputs": {"seed": 8}}},
    {"6": {"inputs": {"text": "a blue boat"}}},
    {"3": {"inputs": {"sampler_name": "dpmpp_2m"}}},
    {"3": {"inputs": {"steps": 21}}},
    {"3": {"inputs": {"denoise": 0.9}}},
    {"4": {"inputs": {"ckpt_name": "sdxl.safetensors"}}},
], ids=["seed", "prompt", "sampler", "steps", "denoise", "model"])
def test_same_request_same_picture_and_any_input_changes_it(
    api: Api, emulator: EmbeddedEmulator, change: dict[str, Any]
) -> None:
    emulator.configure(noise=0.03)
    first = api.download(api.run()["outputs"]["10"]["images"][0])
    again = api.download(api.run()["outputs"]["10"]["images"][0])
    changed = api.download(api.run(change)["outputs"]["10"]["images"][0])
    assert first != again  # the noise differs per run ...
    golden = compare.make_golden(first)
    same = compare.compare(again, golden, max_hash_distance=12, min_ssim=0.75)
    assert same.passed and same.ssim is not None and same.ssim > 0.9  # ... the picture does not
    other = compare.compare(changed, golden, max_hash_distance=12, min_ssim=0.75)
    assert not other.passed and other.ssim is not None and other.ssim < 0.7


def test_size_follows_the_overrides(api: Api) -> None:
    item = api.run({"5": {"inputs": {"width": 200, "height": 300}}})["outputs"]["10"]["images"][0]
    assert media.inspect(api.download(item))[1:] == (200, 300)
