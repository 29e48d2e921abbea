"""``validate`` replays its saved result only while nothing it read has changed (real processes).

Each test copies the examples into ``tmp_path`` and runs ``python -m reconciler validate`` there, as a
pre-commit hook or an editor would. To tell a replay from a full run without a clock, a test rewrites
the saved output (``mark``): a replay then prints the mark, a full run never does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"
MARK = " (replayed)"
CACHE = Path(".comfyops") / "validate-cache"


@dataclass(frozen=True)
class Run:
    code: int
    out: bytes
    err: bytes


def comfyops(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """``python -m reconciler *args`` in ``cwd``, with no GitHub Actions or colour settings from outside."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("GITHUB_", "COMFYOPS_", "RUNCOMFY_")) and k not in ("NO_COLOR", "CI")}
    done = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, capture_output=True,
                          env={**clean, **(env or {})}, timeout=120, check=False)
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the examples to validate."""
    target = tmp_path / "repo"
    shutil.copytree(EXAMPLES, target)
    return target


def saved(repo: Path) -> list[Path]:
    folder = repo / CACHE
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def mark(repo: Path) -> None:
    """Append MARK to every line each saved result prints, so that a replay shows itself."""
    entries = saved(repo)
    assert entries, "nothing was saved"
    for path in entries:
        entry = json.loads(path.read_text(encoding="utf-8"))
        entry["output"] = [[fd, text.replace("\n", MARK + "\n")] for fd, text in entry["output"]]
        path.write_text(json.dumps(entry), encoding="utf-8")


def replayed(run: Run) -> bool:
    return MARK.encode() in run.out + run.err


def test_a_warm_run_prints_byte_for_byte_what_the_cold_run_printed(repo: Path) -> None:
    cold = comfyops(repo, "validate", "-f", ".")
    assert cold.code == 0, cold
    assert cold.out == b"staging: 3 deployments, 3 presets: valid\nprod: 2 deployments, 3 presets: valid\n"
    (entry,) = saved(repo)
    before = entry.stat()
    warm = comfyops(repo, "validate", "-f", ".")
    assert warm == cold
    after = entry.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "the warm run ran in full"
    mark(repo)
    assert replayed(comfyops(repo, "validate", "-f", "."))


def test_a_run_with_problems_is_replayed_with_its_problems_and_exit_code(repo: Path) -> None:
    video = repo / "deployments" / "video.yaml"
    video.write_text(video.read_text(encoding="utf-8") + "  max_instancez: 3\n", encoding="utf-8")
    cold = comfyops(repo, "validate", "-f", ".")
    assert cold.code == 1
    assert b"deployments/video.yaml" in cold.err and b"max_instancez" in cold.err, cold
    assert comfyops(repo, "validate", "-f", ".") == cold
    mark(repo)
    warm = comfyops(repo, "validate", "-f", ".")
    assert replayed(warm) and warm.code == 1
    assert warm.err.replace(MARK.encode(), b"") == cold.err


def _edit_manifest_keeping_size_and_time(repo: Path) -> None:
    path = repo / "deployments" / "txt2img.yaml"
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("max_instances: 4", "max_instances: 5"), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # the content hash tells, not the clock


def _add_a_manifest(repo: Path) -> None:
    text = (repo / "deployments" / "txt2img.yaml").read_text(encoding="utf-8")
    text = text.replace("name: media-sdxl-txt2img", "name: media-sdxl-copy")
    (repo / "deployments" / "copy.yaml").write_text(text.replace("previous_names: [media-txt2img]\n", ""),
                                                    encoding="utf-8")


def _edit_a_policy(repo: Path) -> None:
    path = repo / "policies" / "cost.rego"
    path.write_text(path.read_text(encoding="utf-8") + "\ndeny contains \"no\" if { true }\n", encoding="utf-8")


def _edit_a_workflow_file(repo: Path) -> None:
    path = repo / "workflows" / "sdxl-txt2img-v3.json"
    graph = json.loads(path.read_text(encoding="utf-8"))
    graph.pop(next(iter(graph)))
    path.write_text(json.dumps(graph), encoding="utf-8")


def _add_an_object_info_beside_a_workflow(repo: Path) -> None:
    (repo / "workflows" / "object_info.json").write_text("{}", encoding="utf-8")


CHANGES = {
    "a manifest edited (same size and time)": (_edit_manifest_keeping_size_and_time, "."),
    "a manifest added to the folder": (_add_a_manifest, "."),
    "a policy edited": (_edit_a_policy, "."),
    "a workflow file edited": (_edit_a_workflow_file, "."),
    # -f deployments: the workflows folder is not listed, only the object_info files looked for in it
    "an object_info.json added where it is looked for": (_add_an_object_info_beside_a_workflow, "deployments"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_change_to_what_validate_read_makes_it_run_in_full(repo: Path, change: str) -> None:
    edit, files = CHANGES[change]
    first = comfyops(repo, "validate", "-f", files)
    assert first.code in (0, 1), first
    mark(repo)
    assert replayed(comfyops(repo, "validate", "-f", files))
    edit(repo)
    after = comfyops(repo, "validate", "-f", files)
    assert not replayed(after), after
    assert after == comfyops(repo, "validate", "-f", files, "--no-cache")  # what a full run says


def test_an_interpolated_variable_that_changes_makes_it_run_in_full(repo: Path) -> None:
    path = repo / "deployments" / "txt2img.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("max_instances: 4", "max_instances: ${MAX}"),
                    encoding="utf-8")
    first = comfyops(repo, "validate", "-f", ".", env={"MAX": "4"})
    assert first.code == 0, first
    mark(repo)
    assert replayed(comfyops(repo, "validate", "-f", ".", env={"MAX": "4"}))
    changed = comfyops(repo, "validate", "-f", ".", env={"MAX": "oops"})
    assert not replayed(changed) and changed.code == 1 and b"max_instances" in changed.err, changed
    unset = comfyops(repo, "validate", "-f", ".")
    assert not replayed(unset) and b"MAX" in unset.err, unset


@pytest.mark.parametrize("args, env", [
    (("validate", "-f", ".", "--env", "prod"), {}),
    (("validate", "-f", ".", "--format", "json"), {}),
    (("--no-color", "validate", "-f", "."), {}),
    (("validate", "-f", "."), {"NO_COLOR": "1"}),
    (("validate", "-f", "."), {"GITHUB_ACTIONS": "true"}),
], ids=["--env", "--format", "--no-color", "NO_COLOR", "GitHub Actions"])
def test_other_options_or_output_settings_are_not_served_another_run_s_result(
        repo: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
    assert comfyops(repo, "validate", "-f", ".").code == 0
    mark(repo)
    assert not replayed(comfyops(repo, *args, env=env))


def test_no_cache_neither_replays_nor_saves(repo: Path) -> None:
    first = comfyops(repo, "validate", "-f", ".", "--no-cache")
    assert first.code == 0 and saved(repo) == []
    comfyops(repo, "validate", "-f", ".")
    mark(repo)
    (entry,) = saved(repo)
    before = entry.read_bytes()
    again = comfyops(repo, "validate", "-f", ".", "--no-cache")
    assert again == first and entry.read_bytes() == before


def test_a_corrupt_cache_file_is_ignored_and_replaced(repo: Path) -> None:
    cold = comfyops(repo, "validate", "-f", ".")
    (entry,) = saved(repo)
    entry.write_bytes(b'{"format": 1, "key": "x", "inputs": [1, 2')
    assert comfyops(repo, "validate", "-f", ".") == cold
    json.loads(entry.read_text(encoding="utf-8"))  # a full run saved a whole entry again
    mark(repo)
    for damage in ({"inputs": {"files": 7}}, {"output": [[3, "nowhere"]]}, {"exit": "0"}, {"exit": True},
                   {"output": [[1, "ok" + MARK + "\n"], [2]]}):
        entry.write_text(json.dumps({**json.loads(entry.read_text(encoding="utf-8")), **damage}), encoding="utf-8")
        assert comfyops(repo, "validate", "-f", ".") == cold, damage
        mark(repo)  # the full run saved a good entry again


def test_a_cache_that_cannot_be_written_changes_nothing_the_user_sees(repo: Path) -> None:
    cold = comfyops(repo, "validate", "-f", ".", "--no-cache")
    (repo / ".comfyops").mkdir()
    (repo / CACHE).write_text("a file where the cache folder goes", encoding="utf-8")
    assert comfyops(repo, "validate", "-f", ".") == cold
    assert comfyops(repo, "validate", "-f", ".") == cold
    (repo / CACHE).unlink()
    assert comfyops(repo, "validate", "-f", ".") == cold
    (entry,) = saved(repo)
    entry.write_text("[" * 100_000, encoding="utf-8")  # nested deeper than Python's JSON parser goes
    assert comfyops(repo, "validate", "-f", ".") == cold
    json.loads(entry.read_text(encoding="utf-8"))  # and replaced by a good one


def test_a_linked_cache_file_or_folder_is_never_followed(repo: Path, tmp_path: Path) -> None:
    comfyops(repo, "validate", "-f", ".")
    mark(repo)
    (entry,) = saved(repo)
    planted = tmp_path / "planted.json"
    entry.rename(planted)
    entry.symlink_to(planted)
    run = comfyops(repo, "validate", "-f", ".")
    assert run.code == 0 and not replayed(run), run
    assert entry.is_symlink() and MARK in planted.read_text(encoding="utf-8")  # neither used nor replaced
    folder = repo / CACHE
    shutil.move(str(folder), str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere" / entry.name).unlink()
    shutil.copy(planted, tmp_path / "elsewhere" / entry.name)
    folder.symlink_to(tmp_path / "elsewhere")
    run = comfyops(repo, "validate", "-f", ".")
    assert run.code == 0 and not replayed(run), run


def test_a_secret_is_masked_in_what_is_saved(repo: Path) -> None:
    path = repo / "deployments" / "txt2img.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "workflow_id: 6d2e8a4c-1b7f-4c1e-9a55-3f0c2d9e7b11", "workflow_id: ${WF_SECRET}"), encoding="utf-8")
    env = {"WF_SECRET": "wf-very-secret-id"}
    for args in (("validate", "-f", "."), ("validate", "-f", ".", "--env", "prod", "--print")):
        cold = comfyops(repo, *args, env=env)
        assert b"wf-very-secret-id" not in cold.out + cold.err
        assert comfyops(repo, *args, env=env) == cold
    assert len(saved(repo)) == 2
    for entry in saved(repo):
        assert "wf-very-secret-id" not in entry.read_text(encoding="utf-8")


def test_a_replay_imports_neither_click_nor_pydantic_nor_yaml_nor_the_manifest_code(repo: Path) -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['comfyops', 'validate', '-f', '.']\n"
        "from reconciler.entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "loaded = {m.split('.')[0] for m in sys.modules} & {'click', 'pydantic', 'yaml', 'regopy', 'httpx'}\n"
        "ours = sorted(m for m in sys.modules if m.startswith(('reconciler.manifest', 'reconciler.cli')))\n"
        "print(code, sorted(loaded), ours)\n"
    )
    first = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True)
    assert first.stdout.splitlines()[-1].startswith("0 ['click', 'pydantic', 'yaml']"), first.stdout
    again = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True)
    assert again.stdout.splitlines()[-1] == "0 [] []", again.stdout


def test_a_run_that_writes_a_step_summary_is_never_saved_nor_replayed(repo: Path, tmp_path: Path) -> None:
    assert comfyops(repo, "validate", "-f", ".").code == 0
    mark(repo)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    first = comfyops(repo, "validate", "-f", ".", env=env)
    assert first.code == 0 and not replayed(first), first
    assert summary.read_text(encoding="utf-8").count("ComfyOps validate") == 1
    assert len(saved(repo)) == 1  # the run that wrote the summary saved nothing
    again = comfyops(repo, "validate", "-f", ".", env=env)
    assert again == first and summary.read_text(encoding="utf-8").count("ComfyOps validate") == 2
