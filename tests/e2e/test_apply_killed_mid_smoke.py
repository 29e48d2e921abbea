"""Issue 19 §5: ``apply --smoke --rollback-on-smoke-failure`` killed (SIGKILL) after its change and before its
smoke test ends leaves no change applied and untested: the next ``apply`` finishes the job.

A real ``comfyops emulator serve`` whose requests run for an hour, a real ``comfyops apply`` process: once
the server has seen the PATCH (its ``/_emulator/traffic``), SIGKILL. The re-run (a plain ``apply``, fast
runs now) says which interrupted run it finishes, smoke-tests the deployment, and with a failing smoke
test rolls it back as the killed run asked (exit 1, the report); with a passing one it exits 0.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from e2e.test_emulator_serve import AUTH, WF, WORKFLOW, _env, _free_port, _list, serve, start_against
from reconciler import workspace

PASSING = '{"9": {images: {count: 1, format: png}}}'
FAILING = '{"9": {images: {format: jpeg}}}'


def _manifests(repo: Path, max_instances: int, expect: str) -> None:
    (repo / "m.yaml").write_text(
        "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  rate_limit: {requests_per_second: 50, burst: 50}\n"
        "---\napiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: alpha}\n"
        f"spec:\n  workflow_id: {WF}\n  workflow_version: v1\n  max_instances: {max_instances}\n"
        f"  smoke:\n    timeout_seconds: 7200\n    expect:\n      outputs: {expect}\n",
        encoding="utf-8",
    )


def _patches(url: str) -> int:
    counts = httpx.get(f"{url}/_emulator/traffic", timeout=10).json()
    return int(counts["by_method"].get("PATCH", 0))


def _configure(url: str, **settings: float) -> None:
    httpx.post(f"{url}/_emulator/config", json=settings, timeout=10).raise_for_status()


@pytest.mark.parametrize("smoke_passes", [False, True], ids=["failing-smoke-rolls-back", "passing-smoke"])
def test_an_apply_killed_mid_smoke_is_finished_by_the_next_apply(tmp_path: Path, smoke_passes: bool) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").mkdir()  # a working copy: .comfyops/ (lock, journal) lives here
    expect = PASSING if smoke_passes else FAILING
    _manifests(repo, 1, expect)
    args = ["--port", str(_free_port()), "--state", str(tmp_path / "state"), "--no-rate-limit",
            "--register-workflow", f"{WF}:v1:{WORKFLOW}"]
    with serve(*args, cwd=tmp_path, env=_env()) as served:
        url = served.wait_ready()
        _configure(url, queue_seconds=0, run_seconds=0.2)
        first = start_against(url, repo, "apply", "-f", ".", "--auto-approve")
        assert first.wait(timeout=120) == 0, first.communicate()

        _manifests(repo, 2, expect)
        _configure(url, queue_seconds=0, run_seconds=3600)  # the smoke test will not end by itself
        httpx.delete(f"{url}/_emulator/traffic", timeout=10).raise_for_status()
        killed = start_against(url, repo, "apply", "-f", ".", "--auto-approve", "--smoke",
                               "--rollback-on-smoke-failure")
        deadline = time.monotonic() + 120
        while _patches(url) == 0:
            assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=30)
        assert killed.returncode == -signal.SIGKILL
        assert [d["max_instances"] for d in _list(url, AUTH).json()] == [2]  # the change is live, untested
        journal = workspace.apply_journal(repo)
        assert journal.is_file()

        _configure(url, queue_seconds=0, run_seconds=0.2)
        rerun = start_against(url, repo, "apply", "-f", ".", "--auto-approve")
        out, err = rerun.communicate(timeout=180)
        finishing = [line for line in err.splitlines() if line.startswith("Finishing an interrupted apply")]
        assert len(finishing) == 1, err
        assert "started 20" in finishing[0] and "alpha" in finishing[0] and "smoke-testing now" in finishing[0]
        assert "rolling back failures as it asked" in finishing[0]
        assert "Traceback" not in err
        assert not journal.exists() and not journal.is_symlink()  # the job is complete
        live = _list(url, AUTH).json()
        if smoke_passes:
            assert rerun.returncode == 0, (out, err)
            assert "alpha" in out and "pass" in out.lower()
            assert [d["max_instances"] for d in live] == [2]
        else:
            assert rerun.returncode == 1, (out, err)
            assert "restored the previous settings" in out, out
            assert [d["max_instances"] for d in live] == [1]  # rolled back, as the killed run asked
            assert "Stopped: the interrupted apply's smoke test failed" in err

        again = start_against(url, repo, "apply", "-f", ".", "--auto-approve", "--smoke")
        out, err = again.communicate(timeout=180)
        assert "Finishing an interrupted apply" not in err  # nothing left to finish
