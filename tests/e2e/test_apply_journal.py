"""Issue 19 §5 in process: the apply journal is finished by ``smoke`` too, only for its own target, and is read
like every other input (a damaged or linked journal is an error, never ignored)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import workspace
from reconciler.emulator.embedded import EmbeddedEmulator
from reconciler.session import applyjournal, planfiles
from support.emulated import deployment_yaml, live_deployments

FAILING = 'smoke:\n  expect:\n    outputs: {"9": {images: {format: jpeg}}}'


@pytest.fixture
def interrupted(run_cli: Any, manifests: Any, tmp_path: Path, emulator: EmbeddedEmulator) -> tuple[Path, Path]:
    """alpha changed from max_instances 1 to 2 by an apply that was killed before its smoke test: the repo,
    and its journal."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    repo = manifests(deployment_yaml("alpha", extra=f"max_instances: 1\n{FAILING}"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("alpha", extra=f"max_instances: 2\n{FAILING}"))
    saved = tmp_path / "plan.json"
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(saved)).code == 0
    plan = planfiles.load(saved)
    journal = workspace.apply_journal(repo)
    recorder = applyjournal.Recorder.begin(journal, plan, endpoint="emulator (state: x)", environment=None,
                                           rollback=True)
    recorder.before_change(plan.changes[0])  # killed here: begun, no outcome recorded
    assert run_cli("--emulator", "apply", str(saved), "--auto-approve").code == 0  # what the killed run did
    assert [d["max_instances"] for d in live_deployments(emulator)] == [2]
    return repo, journal


def test_smoke_finishes_an_interrupted_apply_and_rolls_back_as_it_asked(
    run_cli: Any, interrupted: tuple[Path, Path], emulator: EmbeddedEmulator
) -> None:
    repo, journal = interrupted
    result = run_cli("--emulator", "smoke", "-f", str(repo))
    assert result.code == 1, result
    [line] = [x for x in result.err.splitlines() if x.startswith("Finishing an interrupted apply")]
    assert "alpha changed and not smoke-tested" in line and "rolling back failures as it asked" in line
    assert "restored the previous settings" in result.out
    assert [d["max_instances"] for d in live_deployments(emulator)] == [1]
    assert not journal.exists()


def test_a_journal_from_another_target_is_left_alone(
    run_cli: Any, interrupted: tuple[Path, Path], emulator: EmbeddedEmulator
) -> None:
    repo, journal = interrupted
    data = json.loads(journal.read_text())
    data["entries"][0]["endpoint"] = "RunComfy API at https://api.example.invalid"
    journal.write_text(json.dumps(data))
    before = journal.read_bytes()
    result = run_cli("--emulator", "smoke", "-f", str(repo), "--target", "alpha")
    assert "Finishing an interrupted apply" not in result.err
    assert "also records an interrupted apply against RunComfy API at https://api.example.invalid" in result.err
    assert journal.read_bytes() == before
    assert [d["max_instances"] for d in live_deployments(emulator)] == [2]  # not rolled back from here


def test_a_journal_for_another_environment_is_left_alone(interrupted: tuple[Path, Path]) -> None:
    _, journal = interrupted
    entry, others = applyjournal.pending(journal, "emulator (state: y)", "prod")
    assert entry is None and len(others) == 1
    entry, others = applyjournal.pending(journal, "emulator (state: y)", None)
    assert entry is not None and others == [] and entry.begun == ("alpha",)


@pytest.mark.parametrize("damage", ["{not json", '{"format_version": 99, "entries": []}',
                                    '{"format_version": 1, "entries": [{"started": "x"}]}'])
def test_a_damaged_journal_is_an_error_naming_it(
    run_cli: Any, interrupted: tuple[Path, Path], emulator: EmbeddedEmulator, damage: str
) -> None:
    repo, journal = interrupted
    journal.write_text(damage)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke")
    assert result.code == 1, result
    errors = [x for x in result.err.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and "cannot read the apply journal" in errors[0] and journal.name in errors[0]
    assert "Traceback" not in result.err
    assert [d["max_instances"] for d in live_deployments(emulator)] == [2]


def test_a_fifo_journal_is_refused_without_hanging(
    run_cli: Any, interrupted: tuple[Path, Path], emulator: EmbeddedEmulator
) -> None:
    import os

    repo, journal = interrupted
    journal.unlink()
    os.mkfifo(journal)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke")
    assert result.code == 1 and "cannot read the apply journal" in result.err and "FIFO" in result.err, result


def test_applying_a_saved_plan_finishes_the_interrupted_apply_first(
    run_cli: Any, interrupted: tuple[Path, Path], emulator: EmbeddedEmulator, tmp_path: Path
) -> None:
    repo, journal = interrupted
    result = run_cli("--emulator", "apply", str(tmp_path / "plan.json"), "-f", str(repo), "--auto-approve")
    assert result.code == 1, result
    assert "Finishing an interrupted apply" in result.err and "restored the previous settings" in result.out
    assert [d["max_instances"] for d in live_deployments(emulator)] == [1]
    assert not journal.exists()
