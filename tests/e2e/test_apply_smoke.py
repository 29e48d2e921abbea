"""apply --smoke and --rollback-on-smoke-failure against the emulator over loopback HTTP."""

from __future__ import annotations

from reconciler.emulator.state import EmulatorState
from support.emulated import deployment_yaml, live_deployments

SMOKE = 'smoke:\n  timeout_seconds: 60\n  expect:\n    outputs:\n      "9": {images: {count: 1, format: png}}'


def test_apply_smoke_passes_and_exits_zero(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha", extra=SMOKE))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke")
    assert result.code == 0, result
    assert result.out.rstrip().splitlines()[-1] == "Apply complete: 1 applied, 0 failed; smoke: 1 passed"


def test_failed_smoke_rolls_an_update_back_to_the_previous_settings(run_cli, manifests, emulator, state_dir):
    repo = manifests(deployment_yaml("alpha", extra=SMOKE))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("alpha", extra="max_instances: 4\nqueue_size: 3\n" + SMOKE))
    EmulatorState(state_dir).configure(fail_next_runs=1)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke",
                     "--rollback-on-smoke-failure")
    assert result.code == 1, result
    assert "smoke test failed: restored the previous settings (max_instances, queue_size)" in result.out
    live = live_deployments(emulator)[0]
    assert (live["max_instances"], live["queue_size"], live["is_enabled"]) == (1, 1, True)


def test_failed_smoke_pauses_a_created_deployment_instead_of_deleting_it(run_cli, manifests, emulator, state_dir):
    repo = manifests(deployment_yaml("alpha", extra=SMOKE))
    EmulatorState(state_dir).configure(fail_next_runs=1)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke",
                     "--rollback-on-smoke-failure")
    assert result.code == 1, result
    assert "smoke test failed: paused the new deployment (is_enabled: false)" in result.out
    assert [(d["name"], d["is_enabled"]) for d in live_deployments(emulator)] == [("alpha", False)]


def test_failed_smoke_without_rollback_leaves_the_change_and_exits_one(run_cli, manifests, emulator, state_dir):
    repo = manifests(deployment_yaml("alpha", extra=SMOKE))
    EmulatorState(state_dir).configure(fail_next_runs=1)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke")
    assert result.code == 1, result
    assert [(d["name"], d["is_enabled"]) for d in live_deployments(emulator)] == [("alpha", True)]


def test_rollback_needs_smoke(run_cli, manifests):
    repo = manifests(deployment_yaml("alpha"))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--rollback-on-smoke-failure")
    assert result.code == 1 and "--rollback-on-smoke-failure needs --smoke" in result.err


def test_rollback_report_shows_the_smoke_result_then_the_rollback_and_counts_it(
    run_cli, manifests, emulator, state_dir
):
    repo = manifests(deployment_yaml("alpha", extra=SMOKE))
    EmulatorState(state_dir).configure(fail_next_runs=1)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke",
                     "--rollback-on-smoke-failure")
    assert result.code == 1, result
    out = result.out
    smoke_at, rollback_at = out.index("FAIL  alpha"), out.index("Rollback:")
    assert out.index("applied  + alpha") < smoke_at < rollback_at
    assert "  alpha: smoke test failed: paused the new deployment (is_enabled: false)" in out[rollback_at:]
    assert out.rstrip().splitlines()[-1] == "Apply complete: 1 applied, 0 failed; smoke: 1 failed; rolled back: 1"


def test_rollback_report_as_json_is_one_document_with_the_smoke_result_and_the_count(
    run_cli, manifests, emulator, state_dir
):
    import json

    repo = manifests(deployment_yaml("alpha", extra=SMOKE))
    EmulatorState(state_dir).configure(fail_next_runs=1)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke",
                     "--rollback-on-smoke-failure", "--format", "json")
    assert result.code == 1, result
    data = json.loads(result.out)
    assert data["smoke"]["summary"]["fail"] == 1
    assert data["summary"]["rolled_back"] == 1
    assert data["changes"][0]["rollback"].startswith("smoke test failed: paused")


def test_rollback_report_as_markdown_puts_the_rollback_after_the_smoke_table(
    run_cli, manifests, emulator, state_dir
):
    repo = manifests(deployment_yaml("alpha", extra=SMOKE))
    EmulatorState(state_dir).configure(fail_next_runs=1)
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--smoke",
                     "--rollback-on-smoke-failure", "--format", "markdown")
    assert result.code == 1, result
    out = result.out
    assert out.index("### ComfyOps smoke tests") < out.index("### Rollback")
    assert "**Apply complete: 1 applied, 0 failed; smoke: 1 failed; rolled back: 1**" in out
