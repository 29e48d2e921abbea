"""`comfyops validate` on smoke expectations: outputs that exist, channels their saver fills, readable goldens."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parents[2] / "data"
TXT2IMG = DATA / "workflows" / "txt2img.json"
CATALOGUE = DATA / "object_info" / "comfyui-0.3.64-core.trimmed.json"

DEPLOYMENT = """apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: demo}}
spec:
  workflow_id: wf-1
  workflow_version: v1
  workflow_file: flow.json
  smoke:
    expect:
      outputs:
{outputs}"""


def repo(write_files: Any, outputs: str, *, catalogue: bool = False) -> Path:
    root: Path = write_files({"d.yaml": DEPLOYMENT.format(outputs=outputs)})
    shutil.copy(TXT2IMG, root / "flow.json")
    if catalogue:
        shutil.copy(CATALOGUE, root / "flow.object_info.json")
    return root


@pytest.mark.parametrize("catalogue", [False, True])
def test_an_expectation_on_a_node_that_produces_nothing_is_refused_with_file_line(
    write_files: Any, run_cli: Any, catalogue: bool
) -> None:
    root = repo(write_files, '        "3": {images: {count: 1}}\n        "99": {images: {count: 1}}\n',
                catalogue=catalogue)
    result = run_cli("validate", "-f", ".", cwd=root)
    assert result.code == 1, result
    lines = result.err.splitlines()
    why = "is not an output node" if catalogue else "is not a known output node class"
    assert lines[0].startswith(f'd.yaml:11:9: spec.smoke.expect.outputs."3": node "3" (KSampler) {why}, '
                               "so it produces no output (hint: expect one of the workflow's save or preview nodes")
    assert "--update-goldens" not in result.err
    assert lines[1].startswith('d.yaml:12:9: spec.smoke.expect.outputs."99": node "99" is not in the workflow')


def test_a_channel_the_saver_does_not_fill_is_refused(write_files: Any, run_cli: Any) -> None:
    result = run_cli("validate", "-f", ".", cwd=repo(write_files, '        "9": {gifs: {count: 1}}\n'))
    assert result.code == 1, result
    assert result.err.splitlines()[0] == (
        "d.yaml:11:15: spec.smoke.expect.outputs.\"9\".gifs: SaveImage reports its files under 'images', not 'gifs' "
        "(hint: use images: (see the README's output channels table))"
    )


def test_a_missing_golden_is_a_warning_and_an_unreadable_one_an_error(write_files: Any, run_cli: Any) -> None:
    root = repo(write_files, '        "9": {images: {similar_to: goldens/a.png, min_ssim: 0.8}}\n')
    missing = run_cli("validate", "-f", ".", cwd=root)
    assert missing.code == 0, missing
    assert ('d.yaml:11:24: spec.smoke.expect.outputs."9".images.similar_to: warning: golden '
            "'goldens/a.png' does not exist yet (looked for goldens/a.png)") in missing.err
    assert "comfyops smoke --update-goldens --target demo" in missing.err
    (root / "goldens").mkdir()
    (root / "goldens" / "a.png").write_text("not a picture")
    broken = run_cli("validate", "-f", ".", cwd=root)
    assert broken.code == 1
    assert 'd.yaml:11:24: spec.smoke.expect.outputs."9".images.similar_to: golden goldens/a.png is not a ' \
           "readable image" in broken.err


def test_tolerances_need_similar_to_and_text_has_no_picture(write_files: Any, run_cli: Any) -> None:
    alone = run_cli("validate", "-f", ".", cwd=repo(write_files, '        "9": {images: {min_ssim: 0.8}}\n'))
    assert alone.code == 1 and "max_hash_distance and min_ssim are tolerances of similar_to" in alone.err
    root = repo(write_files, '        "9": {text: {similar_to: g.png}}\n')
    text = run_cli("validate", "-f", ".", cwd=root)
    assert text.code == 1 and "a text output has no picture to compare with a golden" in text.err
