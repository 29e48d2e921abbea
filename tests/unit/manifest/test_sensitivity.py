"""Which interpolated values are secrets, and that secrets stay out of every offline problem message."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.diagnostics import Location
from reconciler.manifest.interpolate import interpolate, is_credential_name, variable_digest
from reconciler.manifest.load import load_manifests
from reconciler.manifest.source import Document

DATA = Path(__file__).parents[2] / "data"


def _write(tmp_path: Path, text: str, name: str = "a.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def _deployment(spec: str, name: str = "demo") -> str:
    lines = "".join(f"  {line}\n" for line in textwrap.dedent(spec).strip().splitlines())
    return f"apiVersion: comfyops/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n{lines}"


@pytest.mark.parametrize(
    ("name", "secret"),
    [("COMFY_ORG_API_KEY", True), ("db_password", True), ("GH_TOKEN", True), ("MY_PASSWD", True),
     ("SSH_PASSPHRASE", True), ("AWS_CREDENTIALS", True), ("BASIC_AUTH", True), ("PRIVATE_URL", True),
     ("TLS_CERT", True), ("URL_SIGNATURE", True), ("a_secret_thing", True),
     ("TXT_VERSION", False), ("STAGE", False), ("REGION", False)],
)
def test_credential_like_names_are_secret(name: str, secret: bool) -> None:
    assert is_credential_name(name) is secret


def test_only_secret_variables_are_sensitive(tmp_path: Path) -> None:
    _write(tmp_path, _deployment("""
        workflow_id: ${WF_SECRET}
        workflow_version: ${TXT_VERSION}
        hardware: ${secret:GPU}
        queue_size: 1
        smoke:
          extra_data: {api_key_comfy_org: "${COMFY_ORG}"}
    """, name="media-${STAGE}"))
    env = {"WF_SECRET": "wf-hidden", "TXT_VERSION": "v7", "GPU": "AMPERE_80", "STAGE": "prod",
           "COMFY_ORG": "org-key-value"}
    state = load_manifests([tmp_path], env=env).state
    assert state is not None
    (d,) = state.deployments
    assert d.name == "media-prod"
    assert d.sensitive_fields == {"workflow_id", "hardware"}
    assert state.secret_values == {"wf-hidden", "AMPERE_80", "org-key-value"}
    assert "prod" not in state.secret_values and "v7" not in state.secret_values


def test_settings_sensitive_variables_marks_more_names(tmp_path: Path) -> None:
    _write(tmp_path, _deployment("workflow_id: wf-1\nworkflow_version: ${WF_VERSION}"))
    _write(tmp_path, "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  sensitive_variables: [WF_VERSION]\n",
           "settings.yaml")
    state = load_manifests([tmp_path], env={"WF_VERSION": "v-hidden"}).state
    assert state is not None
    assert state.deployments[0].sensitive_fields == {"workflow_version"}
    assert state.secret_values == {"v-hidden"}


def test_sensitive_variables_must_be_variable_names(tmp_path: Path) -> None:
    _write(tmp_path, "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  sensitive_variables: [NOT-A-NAME]\n")
    result = load_manifests([tmp_path], env={})
    assert [p.field_path for p in result.errors] == ["spec.sensitive_variables[0]"]


FIELDS = {
    "min_instances": "min_instances: ${SECRET_X}",
    "max_instances": "max_instances: ${SECRET_X}",
    "queue_size": "queue_size: ${SECRET_X}",
    "keep_warm_duration_in_seconds": "keep_warm_duration_in_seconds: ${SECRET_X}",
    "hardware": "hardware: ${SECRET_X}",
    "is_enabled": "is_enabled: ${SECRET_X}",
    "state": "state: ${SECRET_X}",
    "protect": "protect: ${SECRET_X}",
    "ignore_changes": "ignore_changes: [\"${SECRET_X}\"]",
    "smoke.timeout_seconds": "smoke: {timeout_seconds: '${SECRET_X}'}",
    "smoke.expect.status": "smoke: {expect: {status: '${SECRET_X}'}}",
    "smoke.cleanup": "smoke: {cleanup: '${SECRET_X}'}",
}


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("secret", ["hunter2-not-valid", "999999", "-1"])
def test_a_secret_never_appears_in_a_parse_error(tmp_path: Path, field: str, secret: str) -> None:
    line = FIELDS[field].replace("${SECRET_X}", '"${SECRET_X}"') if "[" not in FIELDS[field] else FIELDS[field]
    if "'" in line:
        line = FIELDS[field]
    _write(tmp_path, _deployment(f"workflow_id: wf-1\nworkflow_version: v1\n{line}"))
    result = load_manifests([tmp_path], env={"SECRET_X": secret})
    text = "\n".join(f"{p.message} {p.hint}" for p in result.problems)
    assert secret not in text, text
    if result.errors and secret == "hunter2-not-valid":
        assert "(sensitive value)" in text or "got" not in text, text


def test_a_secret_media_override_is_masked_in_the_workflow_warning(tmp_path: Path) -> None:
    (tmp_path / "wf.json").write_text((DATA / "workflows" / "SaladTechnologies__comfyui-api__sdxl-img2img.json")
                                      .read_text())
    _write(tmp_path, _deployment("""
        workflow_id: wf-1
        workflow_version: v1
        workflow_file: wf.json
        smoke:
          overrides:
            "38": {inputs: {image: "${PRIVATE_IMAGE}"}}
    """))
    for secret in ("my-private-photo-of-the-family.png",
                   "http://cdn.example.com/private/photo.png?X-Amz-Signature=abcdef0123456789abcdef0123456789"):
        result = load_manifests([tmp_path], env={"PRIVATE_IMAGE": secret})
        text = "\n".join(p.format() for p in result.problems)
        assert result.problems and "(sensitive value)" in text, text
        assert secret[:12] not in text, text


def test_a_non_secret_variable_is_quoted_in_errors_as_written(tmp_path: Path) -> None:
    _write(tmp_path, _deployment("workflow_id: wf-1\nworkflow_version: v1\nmin_instances: ${WARM}"))
    result = load_manifests([tmp_path], env={"WARM": "lots"})
    assert "got 'lots'" in json.dumps([p.format() for p in result.problems])


_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
_VALUES = st.text(st.characters(codec="ascii", exclude_characters="$"), min_size=0, max_size=12)


@settings(max_examples=200, deadline=None)
@given(name=_NAMES, value=_VALUES, marked=st.booleans(), listed=st.booleans(), extra_data=st.booleans())
def test_a_value_is_secret_exactly_when_its_variable_is(
    name: str, value: str, marked: bool, listed: bool, extra_data: bool
) -> None:
    reference = f"${{secret:{name}}}" if marked else f"${{{name}}}"
    path = ("spec", "smoke", "extra_data", "k") if extra_data else ("spec", "workflow_version")
    spec = {"smoke": {"extra_data": {"k": reference}}} if extra_data else {"workflow_version": reference}
    data = {"spec": spec}
    doc = Document(data=data, path="a.yaml", index=0, start=Location("a.yaml", 1, 1))
    result = interpolate(doc, {name: value}, sensitive_names={name} if listed else set())
    secret = marked or listed or extra_data or is_credential_name(name)
    assert (path in result.sensitive_paths) is secret
    assert (value in result.secret_values) is (secret and len(value) >= 4)
    assert result.variables == {name: variable_digest(name, value)}  # a digest, never the value
