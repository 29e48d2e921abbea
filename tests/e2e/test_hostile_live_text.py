"""A malicious RunComfy account: live names and statuses full of terminal controls and Markdown (issue 20).

The emulator holds a live deployment whose name carries OSC 52, OSC 0, CSI, NUL, CR, LF, bidi overrides,
backticks, a line of backticks, a blank line, a mention, image and link syntax, raw HTML and pipes, and a
declared deployment whose status says the same. ``plan``, ``status``, ``drift`` and ``import`` print
them (text and Markdown) without acting on them; ``import`` writes them into no file raw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from reconciler.emulator.embedded import EmbeddedEmulator
from support.emulated import FAST_SETTINGS, deployment_yaml
from support.hostile_text import ALL, assert_markdown_safe, assert_no_controls, assert_terminal_safe

AUTH = {"Authorization": "Bearer t"}
SETTINGS = FAST_SETTINGS + '  prune: {enabled: true, match: ["media-*"], action: pause}\n'
HOSTILE_NAME = "media-" + ALL
HOSTILE_STATUS = "error " + ALL
PLAIN_NAME = "media-plain"


def arrange(emulator: EmbeddedEmulator, run_cli: Any, repo: Path, *, name: str, status: str) -> None:
    """Apply ``repo`` (media-a), add a stray live deployment called ``name``, and give media-a ``status``."""
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    made = httpx.post(f"{emulator.base_url}/prod/v2/deployments", headers=AUTH,
                      json={"name": "media-stray", "workflow_id": "wf-txt2img", "workflow_version": "v1"})
    made.raise_for_status()
    with emulator.state.transaction() as data:
        for record in data["deployments"].values():
            if record["name"] == "media-stray":
                record["name"] = name
            elif record["name"] == "media-a":
                record["status"] = status
                record["max_instances"] = 3  # drifted out of band


@pytest.fixture
def run_twice(run_cli: Any, manifests: Any, emulator: EmbeddedEmulator, tmp_path: Path) -> Any:
    """Run one command against the hostile account and against its plain twin; (hostile, plain) results."""
    repo = manifests(deployment_yaml("media-a"), settings=SETTINGS)

    def run(*args: str) -> tuple[Any, Any]:
        results = []
        for name, status in ((HOSTILE_NAME, HOSTILE_STATUS), (PLAIN_NAME, "error plain")):
            emulator.state.reset()
            arrange(emulator, run_cli, repo, name=name, status=status)
            results.append(run_cli("--emulator", *[a.replace("{repo}", str(repo)) for a in args]))
        return results[0], results[1]

    return run


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "-f", "{repo}"),
        ("status", "-f", "{repo}"),
        ("drift", "-f", "{repo}"),
        ("drift", "-f", "{repo}", "--target", "media-*"),
    ],
    ids=["plan", "status", "drift", "drift-targeted"],
)
def test_text_output_shows_hostile_live_text_escaped(run_twice: Any, args: tuple[str, ...]) -> None:
    hostile, plain = run_twice(*args)
    assert hostile.code == plain.code
    assert_terminal_safe(hostile.out, plain.out)
    assert_terminal_safe(hostile.err, plain.err)
    assert "\\x1b]52;c;" in hostile.out + hostile.err  # shown, escaped


@pytest.mark.parametrize(
    "args",
    [("plan", "-f", "{repo}", "--format", "markdown"), ("drift", "-f", "{repo}", "--format", "markdown")],
    ids=["plan", "drift"],
)
def test_markdown_output_holds_no_markup_from_live_text(run_twice: Any, args: tuple[str, ...]) -> None:
    hostile, plain = run_twice(*args)
    assert hostile.code == plain.code
    assert_markdown_safe(hostile.out, plain.out)
    assert_no_controls(hostile.err)


def test_import_writes_hostile_live_names_into_no_file_raw(
    run_cli: Any, manifests: Any, emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    repo = manifests(deployment_yaml("media-a"), settings=SETTINGS)
    arrange(emulator, run_cli, repo, name=HOSTILE_NAME, status=HOSTILE_STATUS)
    with emulator.state.transaction() as data:  # every text field the manifest carries is hostile too
        for record in data["deployments"].values():
            record["workflow_version"] = "v1" if record["name"] == "media-a" else "v1" + ALL
    out = tmp_path / "imported"
    result = run_cli("--emulator", "import", "--all", "--with-workflows", "--out", str(out), cwd=tmp_path)
    assert result.code == 0, result
    assert_no_controls(result.out)
    assert_no_controls(result.err)
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(written) >= 4, written
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert_no_controls(text.replace("\n", ""))
        if path.suffix == ".yaml":
            document = yaml.safe_load(text)
            assert document["metadata"]["id"]
        else:
            json.loads(text)
    stray = next(p for p in out.glob("*.yaml") if p.name != "media-a.yaml")
    document = yaml.safe_load(stray.read_text(encoding="utf-8"))
    assert document["spec"]["workflow_version"] == "v1" + ALL  # the value itself round-trips exactly
    header = stray.read_text(encoding="utf-8").splitlines()[1]
    assert header.startswith('# Imported from RunComfy deployment "media-media-a\\u001b]52;c;'), header
    assert run_cli("validate", "-f", str(out)).code == 0
