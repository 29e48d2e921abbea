"""plan and apply end to end: the CLI against the emulator over loopback HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from support.emulated import deployment_yaml, live_deployments, plan_json


def test_apply_converges_and_second_plan_is_empty(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha", extra="min_instances: 1\nmax_instances: 3"), deployment_yaml("beta"))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert result.code == 0, result
    assert "Apply complete: 2 applied, 0 failed, 0 skipped." in result.out
    live = live_deployments(emulator)
    assert [(d["name"], d["min_instances"], d["max_instances"], d["hardware"]) for d in live] == [
        ("alpha", 1, 3, ["AMPERE_48"]), ("beta", 0, 1, ["AMPERE_48"])]
    again = run_cli("--emulator", "plan", "-f", str(repo), "--detailed-exitcode")
    assert again.code == 0, again
    assert "No changes. Live deployments match the manifests." in again.out


def test_detailed_exitcode_is_2_with_changes(run_cli, manifests):
    repo = manifests(deployment_yaml("alpha"))
    assert run_cli("--emulator", "plan", "-f", str(repo), "--detailed-exitcode").code == 2


def test_update_is_a_patch_and_converges(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    first_id = live_deployments(emulator)[0]["id"]
    repo = manifests(deployment_yaml("alpha", extra="max_instances: 5\nhardware: AMPERE_80"))
    plan = plan_json(run_cli, repo)
    assert plan["summary"] == {"create": 0, "update": 1, "replace": 0, "delete": 0, "noop": 0}
    assert [d["field"] for d in plan["changes"][0]["diff"]] == ["hardware", "max_instances"]
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    live = live_deployments(emulator)
    assert (live[0]["id"], live[0]["hardware"], live[0]["max_instances"]) == (first_id, ["AMPERE_80"], 5)
    assert plan_json(run_cli, repo)["summary"]["update"] == 0


def test_saved_plan_applies_exactly_and_refuses_when_stale(run_cli, manifests, emulator, tmp_path):
    repo = manifests(deployment_yaml("alpha"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("alpha", extra="max_instances: 4"))
    plan_file = tmp_path / "plan.json"
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(plan_file)).code == 0
    shown = run_cli("show", str(plan_file))
    assert shown.code == 0 and "~ max_instances: 1 -> 4" in shown.out
    # someone changes the deployment in RunComfy between plan and apply
    deployment = live_deployments(emulator)[0]
    import httpx

    httpx.patch(f"{emulator.base_url}/prod/v2/deployments/{deployment['id']}",
                json={"name": "alpha", "queue_size": 7}, headers={"Authorization": "Bearer t"}).raise_for_status()
    stale = run_cli("--emulator", "apply", str(plan_file))
    assert stale.code == 1
    assert f"error: plan is stale: alpha ({deployment['id']}) changed in RunComfy" in stale.err
    assert live_deployments(emulator)[0]["max_instances"] == 1
    # a fresh plan applies
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(plan_file)).code == 0
    applied = run_cli("--emulator", "apply", str(plan_file))
    assert applied.code == 0, applied
    assert live_deployments(emulator)[0]["max_instances"] == 4


def test_saved_plan_refused_when_manifests_changed(run_cli, manifests, tmp_path):
    repo = manifests(deployment_yaml("alpha"))
    plan_file = tmp_path / "plan.json"
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(plan_file)).code == 0
    manifests(deployment_yaml("alpha", extra="max_instances: 9"))
    result = run_cli("--emulator", "apply", str(plan_file), "-f", str(repo))
    assert result.code == 1
    assert "error: plan is stale: the manifests changed since the plan was made" in result.err


def test_protect_refuses_delete_and_changes_nothing(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha", extra="protect: true"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    repo = manifests(deployment_yaml("alpha", extra="protect: true\nstate: absent"))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert result.code == 1
    assert "spec.protect: plan would delete protected deployment 'alpha'" in result.err
    assert [d["name"] for d in live_deployments(emulator)] == ["alpha"]


def _prune_settings(action: str) -> str:
    return ("apiVersion: comfyops/v1\nkind: Settings\nspec:\n  rate_limit: {requests_per_second: 100, burst: 100}\n"
            f"  prune: {{enabled: true, match: ['team-*'], action: {action}}}\n")


def _seed(run_cli, manifests, *names: str) -> None:
    repo = manifests(*[deployment_yaml(n) for n in names])
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0


def test_prune_deletes_only_matching_undeclared_deployments(run_cli, manifests, emulator):
    _seed(run_cli, manifests, "team-keep", "team-orphan", "other-team")
    repo = manifests(deployment_yaml("team-keep"), settings=_prune_settings("delete"))
    plan = plan_json(run_cli, repo)
    assert [(c["name"], c["action"]) for c in plan["changes"]] == [("team-keep", "noop"), ("team-orphan", "delete")]
    assert [u["name"] for u in plan["unmanaged"]] == ["other-team"]
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    assert [d["name"] for d in live_deployments(emulator)] == ["other-team", "team-keep"]


def test_prune_pause_disables_instead_of_deleting(run_cli, manifests, emulator):
    _seed(run_cli, manifests, "team-keep", "team-orphan")
    repo = manifests(deployment_yaml("team-keep"), settings=_prune_settings("pause"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    live = {d["name"]: d["is_enabled"] for d in live_deployments(emulator)}
    assert live == {"team-keep": True, "team-orphan": False}
    assert plan_json(run_cli, repo)["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0, "noop": 2}


def test_rename_via_previous_names_keeps_the_deployment(run_cli, manifests, emulator):
    _seed(run_cli, manifests, "old-name")
    before = live_deployments(emulator)[0]["id"]
    repo = manifests(deployment_yaml("new-name", meta="previous_names: [old-name]"))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert result.code == 0, result
    assert '~ name: "old-name" -> "new-name"' in result.out
    assert [(d["id"], d["name"]) for d in live_deployments(emulator)] == [(before, "new-name")]


def test_replace_needs_allow_replace_then_creates_before_destroying(run_cli, manifests, emulator):
    _seed(run_cli, manifests, "alpha")
    old_id = live_deployments(emulator)[0]["id"]
    emulator.register_workflow("wf-other", "v1", json.loads((Path(__file__).parents[1] / "data" / "workflows"
                                                            / "txt2img.json").read_text()))
    repo = manifests(deployment_yaml("alpha-v2", workflow_id="wf-other", meta="previous_names: [alpha]"))
    refused = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert refused.code == 1 and "refusing without --allow-replace" in refused.err
    assert live_deployments(emulator)[0]["id"] == old_id
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--allow-replace")
    assert result.code == 0, result
    live = live_deployments(emulator)
    assert [(d["name"], d["workflow_id"]) for d in live] == [("alpha-v2", "wf-other")]
    assert live[0]["id"] != old_id


def test_targeted_apply_touches_only_the_target(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("team-a"), deployment_yaml("team-b"))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve", "--target", "team-b")
    assert result.code == 0, result
    assert [d["name"] for d in live_deployments(emulator)] == ["team-b"]
    assert "targeted plan" in result.out


def test_apply_without_tty_input_or_auto_approve_refuses(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha"))
    result = run_cli("--emulator", "apply", "-f", str(repo), stdin="")
    assert result.code == 1
    assert "refusing to apply without confirmation: there is no terminal to ask on" in result.err
    assert live_deployments(emulator) == []


def test_apply_reads_a_typed_yes_piped_on_stdin(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha"))
    refused = run_cli("--emulator", "apply", "-f", str(repo), stdin="y\n")
    assert refused.code == 1 and "apply cancelled: nothing was changed" in refused.err
    assert live_deployments(emulator) == []
    accepted = run_cli("--emulator", "apply", "-f", str(repo), stdin="yes\n")
    assert accepted.code == 0, accepted
    assert "Apply these changes? Only 'yes' will be accepted: yes (read from standard input)" in accepted.err
    assert [d["name"] for d in live_deployments(emulator)] == ["alpha"]


def test_empty_plan_apply_says_so_and_exits_zero(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha"))
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    updated = live_deployments(emulator)[0]["updated_at"]
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert result.code == 0 and "No changes." in result.out
    assert live_deployments(emulator)[0]["updated_at"] == updated


def test_failed_change_is_reported_and_others_still_apply(run_cli, manifests, emulator):
    repo = manifests(deployment_yaml("alpha"), deployment_yaml("broken", workflow_id="wf-unknown", workflow_file=False))
    result = run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve")
    assert result.code == 1
    assert "failed   + broken: POST /prod/v2/deployments: 422001" in result.out
    assert "Apply failed: 1 applied, 1 failed, 0 skipped." in result.out
    assert [d["name"] for d in live_deployments(emulator)] == ["alpha"]


def test_secret_from_environment_never_printed(run_cli, manifests, emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_WORKFLOW_ID", "wf-secret-workflow-id")
    monkeypatch.setenv("MY_TOKEN_LIKE_SECRET", "sk-very-secret-value")
    repo = manifests(deployment_yaml(
        "alpha", workflow_id="${SECRET_WORKFLOW_ID}",
        extra='smoke:\n  extra_data: {api_key_comfy_org: "${MY_TOKEN_LIKE_SECRET}"}'))
    plan_file = tmp_path / "plan.json"
    for fmt in ("text", "json", "markdown"):
        result = run_cli("--emulator", "plan", "-f", str(repo), "--format", fmt, "--out", str(plan_file))
        assert result.code == 0, result
        assert "(sensitive value)" in result.out or '"sensitive": true' in result.out
        for secret in ("wf-secret-workflow-id", "sk-very-secret-value"):
            assert secret not in result.out + result.err
            assert secret not in plan_file.read_text()
    applied = run_cli("--emulator", "apply", str(plan_file))
    assert applied.code == 0, applied
    assert "wf-secret-workflow-id" not in applied.out + applied.err
    assert live_deployments(emulator)[0]["workflow_id"] == "wf-secret-workflow-id"


def test_plan_checks_smoke_overrides_against_the_deployed_graph_when_there_is_no_local_file(
        run_cli, manifests, emulator):
    emulator.register_workflow("wf-remote", "v1", json.loads((Path(__file__).parents[1] / "data" / "workflows"
                                                             / "txt2img.json").read_text()))
    good = deployment_yaml("remote", workflow_id="wf-remote", workflow_file=False,
                           extra='smoke:\n  overrides:\n    "3": {inputs: {seed: 5}}')
    repo = manifests(good)
    assert run_cli("--emulator", "apply", "-f", str(repo), "--auto-approve").code == 0
    assert run_cli("--emulator", "plan", "-f", str(repo)).code == 0
    bad = good.replace('"3": {inputs: {seed: 5}}', '"999": {inputs: {seed: 5}}')
    repo = manifests(bad)
    result = run_cli("--emulator", "plan", "-f", str(repo))
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first.endswith('deployments.yaml:10:24: overrides."999": node "999" is not in the deployed '
                          "workflow of 'remote' (hint: node ids are the keys of workflow_api.json; ids like \"68:8\" "
                          "(subgraph nodes) are normal)"), result.err


def test_show_renders_a_saved_plan_exactly_as_plan_printed_it(run_cli, manifests, tmp_path):
    repo = manifests(deployment_yaml("alpha", extra="min_instances: 1\nmax_instances: 2"), deployment_yaml("beta"))
    plan_file = tmp_path / "plan.json"
    for fmt in ("text", "json", "markdown"):
        planned = run_cli("--emulator", "plan", "-f", str(repo), "--format", fmt, "--out", str(plan_file))
        shown = run_cli("show", str(plan_file), "--format", fmt)
        assert shown.code == 0 and shown.out == planned.out


def test_apply_asks_on_a_terminal_and_only_yes_proceeds(run_cli, manifests, emulator, monkeypatch):
    repo = manifests(deployment_yaml("alpha"))

    class Tty:
        def __init__(self, answer: str) -> None:
            self.answer = answer

        def isatty(self) -> bool:
            return True

        def readline(self) -> str:
            return self.answer

        def read(self, *_: object) -> str:
            return self.answer

    monkeypatch.setattr("sys.stdin", Tty("no\n"))
    refused = run_cli("--emulator", "apply", "-f", str(repo))
    assert refused.code == 1 and "apply cancelled: nothing was changed" in refused.err
    assert live_deployments(emulator) == []
    monkeypatch.setattr("sys.stdin", Tty("yes\n"))
    accepted = run_cli("--emulator", "apply", "-f", str(repo))
    assert accepted.code == 0, accepted
    assert [d["name"] for d in live_deployments(emulator)] == ["alpha"]


def test_prune_deletes_say_which_yaml_files_were_skipped_in_every_format(run_cli, manifests, emulator, tmp_path):
    """A skipped YAML file may have been meant to declare what prune deletes: every plan format says so there."""
    _seed(run_cli, manifests, "team-keep", "team-orphan")
    repo = manifests(deployment_yaml("team-keep"), settings=_prune_settings("delete"))
    (repo / "docker-compose.yml").write_text("services:\n  web: {image: nginx}\n")
    (repo / "data").mkdir()
    (repo / "data" / "rows.yaml").write_text("- {id: 1}\n")
    note = "2 YAML files under -f were skipped as not ComfyOps manifests ("
    [delete] = [c for c in plan_json(run_cli, repo)["changes"] if c["action"] == "delete"]
    [warning] = [w for w in delete["warnings"] if note in w]
    assert "data/rows.yaml" in warning and "docker-compose.yml" in warning
    for fmt in ("text", "markdown"):
        out = run_cli("--emulator", "plan", "-f", str(repo), "--format", fmt).out
        block = out[out.index("team-orphan"):]
        assert note in block and "rows.yaml" in block, out
    noop = [c for c in plan_json(run_cli, manifests(deployment_yaml("team-keep")))["changes"]]
    assert all("skipped" not in w for c in noop for w in c["warnings"])
