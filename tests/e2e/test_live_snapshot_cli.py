"""``comfyops snapshot`` and ``plan --live-snapshot``: no token, no network; what cannot be trusted is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.emulated import deployment_yaml, live_deployments


def _snapshot(run_cli, manifests, emulator, tmp_path: Path) -> tuple[Path, Path]:
    repo = manifests(deployment_yaml("alpha", extra="max_instances: 4"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    out = tmp_path / "snapshot.json"
    made = run_cli("--emulator", "snapshot", "-f", str(repo), "--out", str(out))
    assert made.code == 0, made
    assert "Wrote a snapshot of 1 deployment from emulator" in made.err
    return repo, out


def test_plan_from_a_snapshot_needs_no_token_and_its_saved_plan_applies_while_live_is_unchanged(
    run_cli, manifests, emulator, tmp_path, monkeypatch
):
    repo, snap = _snapshot(run_cli, manifests, emulator, tmp_path)
    repo = manifests(deployment_yaml("alpha", extra="max_instances: 5"))
    monkeypatch.delenv("RUNCOMFY_API_TOKEN", raising=False)
    plan_file = tmp_path / "plan.json"
    planned = run_cli("plan", "-f", str(repo), "--live-snapshot", str(snap), "--out", str(plan_file))
    assert planned.code == 0, planned
    assert "Planned against a snapshot of emulator (state:" in planned.out and "ago)" in planned.out
    assert "max_instances" in planned.out and "1 to update" in planned.out
    # made from a snapshot with the live fingerprints the trusted job read: apply takes it while live is as read
    applied = run_cli("--emulator", "apply", str(plan_file))
    assert applied.code == 0, applied
    assert live_deployments(emulator)[0]["max_instances"] == 5


def test_an_old_edited_or_foreign_snapshot_is_refused(run_cli, manifests, emulator, tmp_path):
    repo, snap = _snapshot(run_cli, manifests, emulator, tmp_path)
    document = json.loads(snap.read_text())

    old = tmp_path / "old.json"
    from reconciler.engine import snapshot

    [record] = document["deployments"]
    stale = snapshot.encode(
        [record["deployment"]],
        endpoint=document["endpoint"],
        api_url=document["api_url"],
        taken_at=datetime.now(UTC) - timedelta(hours=30),
        environment=None,
        secrets=[],
    )
    old.write_text(stale)
    refused = run_cli("plan", "-f", str(repo), "--live-snapshot", str(old))
    assert refused.code == 1
    assert "the snapshot is 1d 6h old, older than --max-snapshot-age 26h" in refused.err
    assert run_cli("plan", "-f", str(repo), "--live-snapshot", str(old), "--max-snapshot-age", "31h").code == 0

    document["deployments"][0]["deployment"]["max_instances"] = 40
    snap.write_text(json.dumps(document))
    edited = run_cli("plan", "-f", str(repo), "--live-snapshot", str(snap))
    assert edited.code == 1 and "the snapshot was modified after it was written" in edited.err

    missing = run_cli("plan", "-f", str(repo), "--live-snapshot", str(tmp_path / "nope.json"))
    assert missing.code == 1 and "no such snapshot file" in missing.err
