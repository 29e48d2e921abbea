"""Every follow-up command comfyops prints works when pasted (issue 23 §2).

Each test provokes a hint the way a user meets it, takes the printed ``comfyops ...`` command
verbatim, runs it against the same emulator, and checks it does what the hint promised, so a hint that
drops ``--emulator``, ``-f`` or ``--env`` fails here (it would target the real API, read no manifests or
ask for an environment).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.emulated import DATA

ROOT = Path(__file__).parents[2]
AUTH = {"Authorization": "Bearer t"}


def pasted(text: str, after: str) -> list[str]:
    """The command printed after ``after`` (up to a backtick, `` (``, `` should`` or the end of line) as argv."""
    quoted = r"`(comfyops [^`\n]*)`"
    bare = r"(comfyops [^`\n]*?)(?: \(|\)|\.?$)"
    match = re.search(re.escape(after) + f"(?:{quoted}|{bare})", text, re.MULTILINE)
    assert match, f"no hint after {after!r} in:\n{text}"
    words = shlex.split(match.group(1) or match.group(2))
    assert words[0] == "comfyops"
    return words[1:]


@pytest.fixture
def repo(tmp_path: Path, state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the examples (environments, presets, policies), with a fast client rate limit; cwd is its parent."""
    target = tmp_path / "work" / "examples"
    shutil.copytree(ROOT / "examples", target, ignore=shutil.ignore_patterns("github"))
    settings = target / "settings.yaml"
    settings.write_text(settings.read_text().replace("requests_per_second: 1", "requests_per_second: 100")
                        .replace("burst: 5", "burst: 100"))
    monkeypatch.chdir(target.parent)
    return Path("examples")


def test_the_choose_an_environment_example_runs(run_cli: Any, repo: Path) -> None:
    failed = run_cli("--emulator", "plan", "-f", str(repo))
    assert failed.code == 1
    argv = pasted(failed.err, "e.g. ")
    assert argv == ["--emulator", "plan", "-f", "examples", "--env", "staging"]
    assert run_cli(*argv).code == 0


def test_the_stale_plan_hint_replans_the_same_manifests_and_environment(run_cli: Any, repo: Path) -> None:
    assert run_cli("--emulator", "plan", "-f", str(repo), "--env", "staging", "--out", "p.json").code == 0
    assert run_cli("--emulator", "apply", "-f", str(repo), "--env", "staging", "--auto-approve").code == 0
    stale = run_cli("--emulator", "apply", "p.json")
    assert stale.code == 1 and "plan is stale" in stale.err
    argv = [w if w != "FILE" else "again.json" for w in pasted(stale.err, "re-run ")]
    replanned = run_cli(*argv)
    assert replanned.code == 0, replanned
    assert "No changes" in replanned.out and "Environment: staging" in replanned.out


def test_the_drift_import_hint_and_the_import_next_hint_run(run_cli: Any, repo: Path, emulator: Any) -> None:
    emulator.register_workflow("wf-x", "v1", json.loads((DATA / "workflows" / "txt2img.json").read_text()))
    created = httpx.post(f"{emulator.base_url}/prod/v2/deployments", headers=AUTH,
                         json={"name": "media-stray-staging", "workflow_id": "wf-x", "workflow_version": "v1"})
    created.raise_for_status()
    drift = run_cli("--emulator", "drift", "-f", str(repo), "--env", "staging")
    assert drift.code == 2, drift
    argv = pasted(drift.out, "declare it in a manifest (")
    assert argv[:2] == ["--emulator", "import"] and argv[-2:] == ["--id", created.json()["id"]]
    assert "--env" in argv and "-f" in argv
    imported = run_cli(*argv, "--out", "examples/deployments")  # into a folder of a repository with environments
    assert imported.code == 0, imported
    planned = run_cli(*pasted(imported.out, "Next: "))
    assert planned.code == 0, planned
    # the imported deployment is now declared: plan neither creates nor deletes nor prunes it (the staging
    # patches may still update its settings; the other example deployments were never applied here)
    stray = [line for line in planned.out.splitlines() if "media-stray-staging" in line and "(" in line]
    assert stray and all(line.lstrip().startswith("~") for line in stray), planned.out


def test_request_hints_run(run_cli: Any, repo: Path) -> None:
    assert run_cli("--emulator", "apply", "-f", str(repo), "--env", "staging", "--auto-approve").code == 0
    ran = run_cli("--emulator", "run", "media-sdxl-txt2img-staging", "-f", str(repo), "--env", "staging",
                  "--wait", "--format", "json")
    assert ran.code == 0, ran
    request_id = json.loads(ran.out)["request_id"]
    no_env = run_cli("--emulator", "request", "status", "media-sdxl-txt2img-staging", request_id, "-f", str(repo))
    assert no_env.code == 1
    status = run_cli(*pasted(no_env.err, "e.g. "))
    assert status.code == 0, status
    argv = pasted(status.out, "Read its outcome: ")
    assert argv[:2] == ["--emulator", "request"] and "-f" in argv
    result = run_cli(*argv)
    assert result.code == 0 and "succeeded" in result.out, result


def test_the_expired_instance_hint_runs(run_cli: Any, repo: Path) -> None:
    assert run_cli("--emulator", "apply", "-f", str(repo), "--env", "staging", "--auto-approve").code == 0
    gone = run_cli("--emulator", "proxy", "media-sdxl-txt2img-staging", "instance-0123456789ab", "system_stats")
    assert gone.code == 1
    argv = pasted(gone.err, "submit a request (")
    assert argv == ["--emulator", "run", "media-sdxl-txt2img-staging"]
    submitted = run_cli(*argv, "-f", str(repo), "--env", "staging")
    assert submitted.code == 0, submitted
    refreshed = run_cli(*pasted(gone.err, "in_progress: "))
    assert refreshed.code == 0, refreshed
