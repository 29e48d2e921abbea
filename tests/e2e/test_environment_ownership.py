"""Two environments sharing one account never touch each other's deployments (issue 19 §2).

A pinned id belongs to one environment: ``import --env`` strips that environment's affixes and pins the id
in its Environment's ``spec.ids``; a base-level pin under two environments is a validate error; and a
plan or apply of one environment never matches, renames, changes or prunes what the other pins or names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator.embedded import EmbeddedEmulator
from support.emulated import DATA, live_deployments

AUTH = {"Authorization": "Bearer t"}
ENVIRONMENTS = """\
apiVersion: comfyops/v1
kind: Settings
spec:
  rate_limit: {requests_per_second: 100, burst: 100}
  prune: {enabled: true, match: ["*"]}
---
# staging: the shared account's -staging names
apiVersion: comfyops/v1
kind: Environment
metadata: {name: staging}
spec:
  name_suffix: -staging
---
apiVersion: comfyops/v1
kind: Environment
metadata:
  name: prod
spec:
  name_suffix: -prod
  patches:
    - {match: "*", spec: {max_instances: 4}}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _create(emulator: EmbeddedEmulator, name: str, **fields: Any) -> str:
    body = {"name": name, "workflow_id": "wf-txt2img", "workflow_version": "v1", **fields}
    response = httpx.post(f"{emulator.base_url}/prod/v2/deployments", json=body, headers=AUTH)
    response.raise_for_status()
    return str(response.json()["id"])


@pytest.fixture
def account(emulator: EmbeddedEmulator) -> dict[str, str]:
    """One account with staging's and prod's copy of media-x (prod's is bigger)."""
    emulator.register_workflow("wf-txt2img", "v1", json.loads((DATA / "workflows" / "txt2img.json").read_text()))
    return {
        "staging": _create(emulator, "media-x-staging"),
        "prod": _create(emulator, "media-x-prod", max_instances=4),
    }


def _live(emulator: EmbeddedEmulator) -> dict[str, tuple[str, int]]:
    return {d["id"]: (d["name"], d["max_instances"]) for d in live_deployments(emulator)}


def _plan(run_cli: Any, env: str) -> dict[str, Any]:
    result = run_cli("--emulator", "plan", "-f", ".", "--env", env, "--format", "json")
    assert result.code == 0, result
    data: dict[str, Any] = json.loads(result.out)
    return data


def test_import_env_pins_in_the_overlay_and_neither_environment_touches_the_other(
    run_cli: Any, emulator: EmbeddedEmulator, account: dict[str, str], tmp_path: Path
) -> None:
    Path("comfyops.yaml").write_text(ENVIRONMENTS)
    before = _live(emulator)
    staged = run_cli("--emulator", "import", "--env", "staging", "--name", "media-x-staging", "-f", ".",
                     "--out", "deployments")
    assert staged.code == 0, staged
    assert "Next: `comfyops --emulator plan -f . --env staging` should show no changes." in staged.out
    base = Path("deployments/media-x.yaml").read_text()
    assert "  name: media-x\n" in base and "  id:" not in base  # affix stripped; the pin is the environment's
    prod = run_cli("--emulator", "import", "--env", "prod", "--name", "media-x-prod", "-f", ".", "--out", "deployments")
    assert prod.code == 0, prod
    text = Path("comfyops.yaml").read_text()
    assert f"ids:\n    media-x: {account['prod']}" in text and f"media-x: {account['staging']}" in text
    assert "# staging: the shared account's -staging names" in text  # the file is edited, not rewritten
    assert run_cli("validate", "-f", ".").code == 0
    # staging's plan matches its own id only; prod's deployment (bigger) is neither changed nor pruned
    for env, own in (("staging", "media-x-staging"), ("prod", "media-x-prod")):
        plan = _plan(run_cli, env)
        assert [(c["name"], c["id"], c["action"]) for c in plan["changes"]] == [(own, account[env], "noop")]
    # staging's manifests now ask for max 2: only staging's deployment changes, in plan and apply
    Path("deployments/media-x.yaml").write_text(base.replace("spec:\n", "spec:\n  max_instances: 2\n"))
    plan = _plan(run_cli, "staging")
    assert [(c["id"], c["action"]) for c in plan["changes"]] == [(account["staging"], "update")]
    assert run_cli("--emulator", "apply", "-f", ".", "--env", "staging", "--auto-approve").code == 0
    after = _live(emulator)
    assert after[account["prod"]] == before[account["prod"]] == ("media-x-prod", 4)
    assert after[account["staging"]] == ("media-x-staging", 2)
    assert _plan(run_cli, "prod")["summary"]["noop"] == 1  # prod's patch keeps 4
    assert run_cli("--emulator", "apply", "-f", ".", "--env", "prod", "--auto-approve").code == 0
    assert _live(emulator) == after


def test_a_base_level_pin_under_two_environments_is_a_validate_error(
    run_cli: Any, emulator: EmbeddedEmulator, account: dict[str, str]
) -> None:
    """Today plan --env staging renames prod's deployment to the staging name: now nothing runs."""
    Path("comfyops.yaml").write_text(
        ENVIRONMENTS + "---\napiVersion: comfyops/v1\nkind: Deployment\n"
        f"metadata: {{name: media-x, id: {account['prod']}}}\n"
        "spec: {workflow_id: wf-txt2img, workflow_version: v1, max_instances: 4}\n"
    )
    before = _live(emulator)
    result = run_cli("validate", "-f", ".")
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        f"comfyops.yaml:25:27: metadata.id: environments staging, prod would all use the pinned id "
        f"{account['prod']!r} of 'media-x': a pinned id belongs to one environment (hint: move it to the Environment "
        f"it belongs to (spec.ids: {{media-x: {account['prod']}}}) and remove it here; `comfyops import --env NAME "
        "-f .` writes pins there)"
    )
    assert result.err.count("would all use") == 1
    for env in ("staging", "prod"):
        assert run_cli("--emulator", "apply", "-f", ".", "--env", env, "--auto-approve").code == 1
    assert _live(emulator) == before


def test_an_id_pinned_by_two_environments_is_an_error(
    run_cli: Any, emulator: EmbeddedEmulator, account: dict[str, str]
) -> None:
    pin = f"  ids: {{media-x: {account['prod']}}}\n"
    pinned = ENVIRONMENTS.replace("  name_suffix: -staging\n", f"  name_suffix: -staging\n{pin}")
    pinned = pinned.replace("  name_suffix: -prod\n", f"  name_suffix: -prod\n{pin}")
    Path("comfyops.yaml").write_text(
        pinned + "---\napiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: media-x}\n"
        "spec: {workflow_id: wf-txt2img, workflow_version: v1}\n"
    )
    result = run_cli("validate", "-f", ".")
    assert result.code == 1 and "is also pinned by environment" in result.err, result.err


def test_import_env_refuses_names_without_the_environment_affixes(
    run_cli: Any, emulator: EmbeddedEmulator, account: dict[str, str]
) -> None:
    Path("comfyops.yaml").write_text(ENVIRONMENTS)
    result = run_cli("--emulator", "import", "--env", "staging", "--name", "media-x-prod", "-f", ".")
    assert result.code == 1
    assert "'media-x-prod' does not carry the environment's suffix '-staging'" in result.err
    assert not Path("deployments").exists() and "ids" not in Path("comfyops.yaml").read_text()


def test_staging_never_prunes_or_takes_over_what_prod_pins_under_any_name(
    run_cli: Any, emulator: EmbeddedEmulator, account: dict[str, str]
) -> None:
    """prod pins a deployment whose live name carries no affix: staging (prune *) must not delete it."""
    odd = _create(emulator, "legacy-thing")
    text = ENVIRONMENTS.replace("  name_suffix: -prod\n", f"  name_suffix: -prod\n  ids: {{legacy: {odd}}}\n")
    Path("comfyops.yaml").write_text(
        text + "---\napiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: legacy}\n"
        "spec: {workflow_id: wf-txt2img, workflow_version: v1}\n---\n"
        "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: media-x}\n"
        "spec: {workflow_id: wf-txt2img, workflow_version: v1}\n"
    )
    plan = _plan(run_cli, "staging")
    assert odd not in [c["id"] for c in plan["changes"]]
    assert odd in [u["id"] for u in plan["unmanaged"]]
    prod = _plan(run_cli, "prod")
    assert [(c["id"], c["action"]) for c in prod["changes"] if c["id"] == odd] == [(odd, "update")]  # renamed
