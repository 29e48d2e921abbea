"""Two ``apply --auto-approve`` runs on the same manifests, started together against one server, end
with no duplicate names, and a plan after them is empty.

The server is ``comfyops emulator serve`` over HTTP; the two applies are separate processes in
separate working copies (so the local lock does not serialise them: this is two CI runners). The
later creator of a name backs off, deleting only the deployment it just created.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from e2e.test_emulator_serve import WF, WORKFLOW, _env, _free_port, _list, serve, start_against

NAMES = [f"media-{i:02d}" for i in range(10)]
SETTINGS = "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  rate_limit: {requests_per_second: 50, burst: 20}\n"


def _working_copy(root: Path) -> Path:
    root.mkdir(parents=True)
    docs = [SETTINGS] + [
        f"apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {{name: {name}}}\n"
        f"spec: {{workflow_id: {WF}, workflow_version: v1, max_instances: 2}}\n"
        for name in NAMES
    ]
    (root / "deployments.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return root


def test_two_applies_at_once_leave_no_duplicates_and_an_empty_plan(tmp_path: Path) -> None:
    first, second = _working_copy(tmp_path / "runner-1"), _working_copy(tmp_path / "runner-2")
    args = [
        "--port",
        str(_free_port()),
        "--state",
        str(tmp_path / "state"),
        "--no-rate-limit",
        "--register-workflow",
        f"{WF}:v1:{WORKFLOW}",
    ]
    with serve(*args, cwd=tmp_path, env=_env()) as served:
        url = served.wait_ready()
        runs = [start_against(url, cwd, "apply", "-f", ".", "--auto-approve") for cwd in (first, second)]
        results = [(run.wait(timeout=180), *run.communicate()) for run in runs]
        for code, out, err in results:
            assert code == 0, (code, out, err)
            assert "Traceback" not in err
        live = _list(url).json()
        counts = Counter(d["name"] for d in live)
        assert sorted(counts) == NAMES and set(counts.values()) == {1}, counts
        conflicts = sum(err.count("conflict: another apply created") for _, _, err in results)
        print(f"\nconcurrent applies: {conflicts} conflict(s) resolved by backing off")
        planned = start_against(url, first, "plan", "-f", ".", "--detailed-exitcode")
        out, err = planned.communicate(timeout=120)
        assert planned.returncode == 0, (out, err)


def test_a_second_apply_in_the_same_working_copy_waits_for_the_lock_or_says_who_holds_it(tmp_path: Path) -> None:
    copy = _working_copy(tmp_path / "repo")
    args = [
        "--port",
        str(_free_port()),
        "--state",
        str(tmp_path / "state"),
        "--register-workflow",
        f"{WF}:v1:{WORKFLOW}",
    ]  # rate-limited: the first apply takes a while
    with serve(*args, cwd=tmp_path, env=_env()) as served:
        url = served.wait_ready()
        holder = start_against(url, copy, "apply", "-f", ".", "--auto-approve")
        lock = copy / ".comfyops" / "apply.lock"
        deadline = time.monotonic() + 60
        while not (lock.is_file() and lock.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        refused = start_against(url, copy, "apply", "-f", ".", "--auto-approve")
        out, err = refused.communicate(timeout=120)
        assert refused.returncode == 1, (out, err)
        line = err.splitlines()[0]
        assert line.startswith(f"error: another apply is running in this working copy: pid {holder.pid} on ")
        assert line.endswith(f"(lock {lock.resolve()})")
        waited = start_against(url, copy, "apply", "-f", ".", "--auto-approve", "--lock-timeout", "3m")
        out, err = waited.communicate(timeout=200)
        assert holder.wait(timeout=200) == 0
        assert waited.returncode == 0, (out, err)
        assert f"waiting for the apply lock held by pid {holder.pid} on " in err
        assert "No changes." in out  # it planned after the first apply finished
    assert os.path.getsize(lock) == 0  # released
