"""Every kind of bad input gets one clear line per problem: file:line:col, field, message, hint; exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parents[2] / "data"

DEPLOYMENT = """
apiVersion: comfyops/v1
kind: Deployment
metadata:
  name: {name}
spec:
  workflow_id: wf-1
  workflow_version: v1
{extra}"""


def deployment(name: str = "demo", extra: str = "") -> str:
    return DEPLOYMENT.format(name=name, extra=extra)


CASES: dict[str, tuple[dict[str, str], list[str]]] = {
    "yaml_syntax_error": (
        {"a.yaml": "apiVersion: comfyops/v1\nkind: [Deployment\n"},
        ["a.yaml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>'"],
    ),
    "tab_indentation": (
        {"a.yaml": "apiVersion: comfyops/v1\nkind: Deployment\nmetadata:\n\tname: x\n"},
        ["a.yaml:4:1: invalid YAML: tab character used for indentation "
         "(hint: YAML allows only spaces for indentation; replace the tab with spaces)"],
    ),
    "empty_file": (
        {"a.yaml": "# nothing here\n"},
        ["a.yaml:1:1: file is empty: no YAML documents (hint: add a document (apiVersion: comfyops/v1, "
         "kind: ...) or delete the file)"],
    ),
    "document_is_a_list": (
        {"a.yaml": "- apiVersion: comfyops/v1\n"},
        ["a.yaml:1:1: document 1 is a list; a manifest document must be a mapping "
         "(hint: start it with apiVersion: comfyops/v1, kind: Deployment|OverridePreset|Settings|Environment)"],
    ),
    "document_is_a_scalar": (
        {"a.yaml": "just text\n"},
        ["a.yaml:1:1: document 1 is a str value; a manifest document must be a mapping "
         "(hint: start it with apiVersion: comfyops/v1, kind: Deployment|OverridePreset|Settings|Environment)"],
    ),
    "unknown_kind": (
        {"a.yaml": "apiVersion: comfyops/v1\nkind: Deploymnet\nmetadata: {name: x}\n"},
        ["a.yaml:2:1: kind: unknown kind 'Deploymnet' (hint: did you mean 'Deployment'?)"],
    ),
    "unknown_api_version": (
        {"a.yaml": "apiVersion: comfyops/v2\nkind: Deployment\nmetadata: {name: x}\n"},
        ["a.yaml:1:1: apiVersion: unknown apiVersion 'comfyops/v2'; expected 'comfyops/v1' "
         "(hint: use apiVersion: comfyops/v1)"],
    ),
    "missing_name": (
        {"a.yaml": "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {}\n"
                   "spec: {workflow_id: w, workflow_version: v1}\n"},
        ["a.yaml:3:1: metadata.name: required field is missing"],
    ),
    "bad_name_characters": (
        {"a.yaml": deployment(name="'my deployment*'")},
        ["a.yaml:4:3: metadata.name: invalid name 'my deployment*': use 1-100 characters: letters, digits, "
         "'-', '_' and '.', starting with a letter or digit (names are matched by --target and prune globs, "
         "written into file names by import and into Markdown tables, so glob characters, '/', '|', spaces "
         "and backticks are not allowed)"],
    ),
    "min_instances_too_high": (
        {"a.yaml": deployment(extra="  min_instances: 31\n  max_instances: 40\n")},
        ["a.yaml:8:3: spec.min_instances: must be at most 30; got 31"],
    ),
    "max_below_min": (
        {"a.yaml": deployment(extra="  min_instances: 3\n  max_instances: 2\n")},
        ["a.yaml:9:3: spec.max_instances: max_instances (2) is below min_instances (3)"],
    ),
    "hardware_typo": (
        {"a.yaml": deployment(extra="  hardware: AMPER_48\n")},
        ["a.yaml:8:3: spec.hardware: expected one of TURING_16, AMPERE_24, AMPERE_48, ADA_48_PLUS, AMPERE_80, "
         "ADA_80_PLUS, HOPPER_141; got 'AMPER_48' (hint: did you mean 'AMPERE_48'?)"],
    ),
    "field_typo": (
        {"a.yaml": deployment(extra="  min_instance: 1\n")},
        ["a.yaml:8:3: spec.min_instance: unknown field 'min_instance' (hint: did you mean 'min_instances'?)"],
    ),
    "duplicate_name_across_files": (
        {"a.yaml": deployment(), "b.yaml": deployment()},
        ["b.yaml:4:3: metadata.name: deployment 'demo' is declared twice (also at a.yaml:4:3) "
         "(hint: names must be unique across all manifests; rename or remove one)"],
    ),
    "preset_cycle": (
        {"p.yaml": "apiVersion: comfyops/v1\nkind: OverridePreset\nmetadata: {name: a}\nspec: {extends: [b]}\n"
                   "---\napiVersion: comfyops/v1\nkind: OverridePreset\nmetadata: {name: b}\nspec: {extends: [a]}\n"},
        ["p.yaml:3:12: spec.extends: preset inheritance cycle: a -> b -> a "
         "(hint: remove one of the extends references)",
         "p.yaml:8:12: spec.extends: preset inheritance cycle: b -> a -> b "
         "(hint: remove one of the extends references)"],
    ),
    "unset_variable": (
        {"a.yaml": deployment(extra="  workflow_file: ${UNSET_FOR_TEST}\n")},
        ["a.yaml:8:3: spec.workflow_file: environment variable UNSET_FOR_TEST is not set "
         "(hint: export UNSET_FOR_TEST=..., or give a default: ${UNSET_FOR_TEST:-value})"],
    ),
    "workflow_file_missing": (
        {"a.yaml": deployment(extra="  workflow_file: wf/missing.json\n")},
        ["a.yaml:8:3: spec.workflow_file: workflow file 'wf/missing.json' does not exist (looked for "
         "wf/missing.json) (hint: the path is relative to this manifest's folder)"],
    ),
    "missing_smoke_preset": (
        {"a.yaml": deployment(extra="  smoke:\n    preset: nightly-smoke\n")},
        ["a.yaml:9:5: spec.smoke.preset: preset 'nightly-smoke' does not exist "
         "(hint: declare it with kind: OverridePreset)"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_prints_one_located_line_per_problem(case, write_files, run_cli):
    files, expected = CASES[case]
    repo = write_files(files)
    named = [arg for name in sorted(files) if name.endswith((".yaml", ".yml")) for arg in ("-f", name)]
    result = run_cli("validate", *named, cwd=repo)  # named files are always checked, manifest-looking or not
    assert result.code == 1, result
    lines = result.err.splitlines()
    assert lines[:-1] == expected
    assert lines[-1].startswith("error: manifests are invalid:")
    assert "Traceback" not in result.err + result.out


def _repo_with_workflow(write_files, workflow: dict, overrides: str) -> Path:
    repo = write_files({
        "d.yaml": deployment(extra="  workflow_file: wf.json\n  smoke:\n    preset: p\n"),
        "p.yaml": "apiVersion: comfyops/v1\nkind: OverridePreset\nmetadata: {name: p}\nspec:\n  overrides:\n"
                  + overrides,
    })
    (repo / "wf.json").write_text(json.dumps(workflow))
    return repo


def test_ui_export_is_refused_with_a_hint(write_files, run_cli):
    ui = {"last_node_id": 9, "last_link_id": 9, "nodes": [], "links": [], "version": 0.4}
    repo = _repo_with_workflow(write_files, ui, '    "6": {inputs: {text: x}}\n')
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1
    line = result.err.splitlines()[0]
    assert line.startswith("d.yaml:8:3: spec.workflow_file: wf.json: ")
    assert "UI export" in line and "Export (API)" in line


def test_override_of_unknown_node_and_link_input(write_files, run_cli):
    workflow = json.loads((DATA / "workflows" / "txt2img.json").read_text())
    repo = _repo_with_workflow(
        write_files, workflow, '    "999": {inputs: {text: x}}\n    "3": {inputs: {model: "sdxl"}}\n'
    )
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1
    lines = result.err.splitlines()[:-1]
    assert len(lines) == 2, lines
    assert lines[0] == (
        'p.yaml:6:22: spec.overrides."999": node "999" is not in the workflow wf.json (hint: node ids are the '
        'keys of workflow_api.json; ids like "68:8" (subgraph nodes) are normal)'
    )
    assert lines[1].startswith('p.yaml:7:20: spec.overrides."3".inputs.model: node "3" (KSampler "KSampler")')
    assert "is connected to output 0" in lines[1] and "override an input of node \"4\" instead" in lines[1]


def test_all_problems_in_all_files_are_reported_in_one_run(write_files, run_cli):
    repo = write_files({
        "a.yaml": deployment(name="one", extra="  min_instances: 31\n"),
        "b.yaml": deployment(name="two", extra="  hardware: AMPER_48\n"),
    })
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 1
    assert [line.split(":")[0] for line in result.err.splitlines()[:-1]] == ["a.yaml", "b.yaml"]


def test_examples_are_valid(run_cli):
    examples = Path(__file__).parents[3] / "examples"
    result = run_cli("validate", "-f", str(examples))
    assert result.code == 0, result
    assert result.out == "staging: 3 deployments, 3 presets: valid\nprod: 2 deployments, 3 presets: valid\n"


def test_directory_walk_skips_hidden_folders_and_reads_yml(write_files, run_cli):
    repo = write_files({"x/a.yml": deployment(name="a"), ".hidden/b.yaml": "not: [valid"})
    result = run_cli("validate", "-f", ".", cwd=repo)
    assert result.code == 0, result
    assert result.out == "1 deployment, 0 presets: valid\n"


def test_copied_example_tree_is_independent_of_shared(tmp_path, run_cli):
    examples = Path(__file__).parents[3] / "examples"
    shutil.copytree(examples, tmp_path / "ex")
    assert run_cli("validate", "-f", str(tmp_path / "ex")).code == 0
