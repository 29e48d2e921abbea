"""Errors say what went wrong and where: API URL checks, hosts in connection errors, emulator ports,
the text plan header, and where ``--emulator`` finds its state."""

from __future__ import annotations

import socket
from pathlib import Path

from support.emulated import FAST_SETTINGS, deployment_yaml


def test_an_api_url_without_scheme_or_host_is_refused_at_once(run_cli, manifests, monkeypatch):
    repo = manifests(deployment_yaml("alpha"))
    monkeypatch.setenv("RUNCOMFY_API_TOKEN", "rc-token-123456")
    result = run_cli("--api-url", "api.runcomfy.net", "plan", "-f", str(repo))
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: the API URL 'api.runcomfy.net' (from --api-url) is not usable: it has no http:// or https:// "
        "scheme; give the full base URL, e.g. https://api.runcomfy.net"
    ]
    monkeypatch.setenv("RUNCOMFY_API_URL", "https://")
    result = run_cli("plan", "-f", str(repo))
    assert result.code == 1 and "(from RUNCOMFY_API_URL) is not usable: it has no host" in result.err


def test_a_connection_error_names_the_host_and_port(run_cli, manifests, monkeypatch):
    repo = manifests(deployment_yaml("alpha"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("RUNCOMFY_API_TOKEN", "rc-token-123456")
    monkeypatch.setenv("RUNCOMFY_API_URL", f"http://127.0.0.1:{port}")
    from reconciler import retry
    from reconciler.runcomfy import client

    monkeypatch.setattr(client, "RetryPolicy", lambda: retry.RetryPolicy(max_attempts=1))
    result = run_cli("plan", "-f", str(repo))
    assert result.code == 1
    assert f"transport error: could not connect to 127.0.0.1:{port}" in result.err, result.err


def test_emulator_serve_refuses_a_port_in_use_in_one_line_before_listening(run_cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("emulator", "serve", "--port", str(port))
    assert result.code == 1, result
    assert result.err == f"error: port {port} is in use; pick another with --port\n"
    assert "listening on" not in result.out


def test_emulator_serve_refuses_a_port_out_of_range(run_cli):
    for port in ("70000", "-1", "0"):
        result = run_cli("emulator", "serve", "--port", port)
        assert result.code == 1, result
        assert result.err == f"error: port {port} is out of range; pick one from 1 to 65535 with --port\n"
        assert "listening on" not in result.out


def test_the_text_plan_says_what_it_talks_to(run_cli, manifests, state_dir, tmp_path):
    repo = manifests(deployment_yaml("alpha"))
    result = run_cli("--emulator", "plan", "-f", str(repo), "--out", str(tmp_path / "p.json"))
    assert result.out.splitlines()[0] == f"Planned against emulator (state: {state_dir})"
    shown = run_cli("show", str(tmp_path / "p.json"))
    assert shown.out == result.out


def test_a_plan_made_on_the_emulator_is_not_applied_to_the_api(run_cli, manifests, tmp_path, monkeypatch):
    repo = manifests(deployment_yaml("alpha"))
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(tmp_path / "p.json")).code == 0
    from reconciler.engine import planfile
    from reconciler.manifest.load import load_manifests
    from reconciler.session import planfiles

    plan = planfiles.load(tmp_path / "p.json")
    desired = load_manifests([repo], env={}).state
    assert desired is not None
    reasons = planfile.stale_reasons(plan, desired, [], "RunComfy API at https://api.runcomfy.net")
    assert reasons[0].startswith("the plan was made against emulator (state: ")


def test_emulator_state_is_found_from_the_manifests_not_the_working_folder(
    run_cli, write_files, tmp_path, monkeypatch
):
    monkeypatch.delenv("COMFYOPS_EMULATOR_STATE")
    data = Path(__file__).parents[1] / "data" / "workflows" / "txt2img.json"
    repo = write_files({
        ".git/HEAD": "ref: refs/heads/main\n",
        "deploy/settings.yaml": FAST_SETTINGS,
        "deploy/alpha.yaml": deployment_yaml("alpha"),
        "deploy/wf.json": data.read_text(),
        "docs/README.md": "docs\n",
    })
    created = run_cli("--emulator", "apply", "-f", "deploy", "--auto-approve", cwd=repo)
    assert created.code == 0, created
    assert "note: no emulator state in .comfyops/emulator yet" in created.err
    assert (repo / ".comfyops" / "emulator" / "state.json").is_file()
    # from a subfolder, naming the manifests relative to it: the same emulator, not an empty one
    again = run_cli("--emulator", "plan", "-f", ".", cwd=repo / "deploy")
    assert again.code == 0, again
    assert again.out.splitlines()[0] == "Planned against emulator (state: ../.comfyops/emulator)"
    assert "No changes." in again.out and "note:" not in again.err
    # from an unrelated subfolder, naming the manifests: still the repository's emulator
    other = run_cli("--emulator", "plan", "-f", "../deploy", cwd=repo / "docs")
    assert "No changes." in other.out, other
    assert not (repo / "deploy" / ".comfyops").exists() and not (repo / "docs" / ".comfyops").exists()


def test_applying_an_emulator_plan_without_emulator_makes_no_call(run_cli, manifests, tmp_path, monkeypatch):
    import respx

    repo = manifests(deployment_yaml("alpha"))
    assert run_cli("--emulator", "plan", "-f", str(repo), "--out", str(tmp_path / "p.json")).code == 0
    monkeypatch.setenv("RUNCOMFY_API_TOKEN", "rc-test-token-0123456789")
    with respx.mock(assert_all_called=False) as router:
        router.route().respond(503)
        result = run_cli("apply", str(tmp_path / "p.json"))
    assert result.code == 1, result
    assert router.calls.call_count == 0, [c.request.url for c in router.calls]
    assert result.err.startswith("error: plan is stale: the plan was made against emulator (state: "), result.err
    assert f"comfyops --emulator apply {tmp_path / 'p.json'}" in result.err
    assert "attempt" not in result.err and "retried" not in result.err
