"""The emulator's pictures: what they depend on, their noise, and the noise setting."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from reconciler.emulator import picture

GRAPH = json.loads((Path(__file__).parents[2] / "data" / "workflows" / "txt2img.json").read_text())


def test_params_are_read_from_every_node_upstream_of_the_output() -> None:
    params = picture.params_for(GRAPH, "9")
    assert params.seed == GRAPH["3"]["inputs"]["seed"] and params.sampler == GRAPH["3"]["inputs"]["sampler_name"]
    assert params.steps == GRAPH["3"]["inputs"]["steps"] and params.denoise == GRAPH["3"]["inputs"]["denoise"]
    assert params.models == (GRAPH["4"]["inputs"]["ckpt_name"],)
    assert GRAPH["6"]["inputs"]["text"] in params.prompt
    assert (params.width, params.height) == (GRAPH["5"]["inputs"]["width"], GRAPH["5"]["inputs"]["height"])


def test_same_params_same_picture_and_noise_is_small_and_keyed() -> None:
    params = dataclasses.replace(picture.params_for(GRAPH, "9"), width=96, height=64)
    clean = np.asarray(picture.render(params), dtype=np.int16)
    assert np.array_equal(clean, np.asarray(picture.render(params), dtype=np.int16))
    noisy = np.asarray(picture.render(params, noise=0.02, noise_key="a"), dtype=np.int16)
    assert 2 < float(np.abs(noisy - clean).mean()) < 8
    assert np.array_equal(noisy, np.asarray(picture.render(params, noise=0.02, noise_key="a"), dtype=np.int16))
    assert not np.array_equal(noisy, np.asarray(picture.render(params, noise=0.02, noise_key="b"), dtype=np.int16))
    other = np.asarray(picture.render(dataclasses.replace(params, steps=(params.steps or 0) + 1)), dtype=np.int16)
    assert float(np.abs(other - clean).mean()) > 20


def test_noise_env_overrides_the_state_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(picture.NOISE_ENV, raising=False)
    assert picture.noise_level(0.01) == 0.01
    monkeypatch.setenv(picture.NOISE_ENV, "0.05")
    assert picture.noise_level(0.01) == 0.05
    monkeypatch.setenv(picture.NOISE_ENV, "loud")
    with pytest.raises(ValueError, match="COMFYOPS_EMULATOR_NOISE='loud' is not a number from 0 to 1"):
        picture.noise_level(0.0)
