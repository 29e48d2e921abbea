"""The hostile-input corpus: one case per way a manifest tree can try to hang, exhaust or confuse comfyops.

Each case builds its files in an empty folder (large ones are generated here, at test time, never
checked in), names the ``comfyops`` arguments to run there, and states the exit code and the exact
problem lines expected on stderr (the final ``error: manifests are invalid: N problems`` line aside).
``runner.py`` runs every case in one child process under a memory limit and a per-case alarm.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Builder = Callable[[Path], None]

HEAD = (
    "apiVersion: comfyops/v1\nkind: Deployment\nmetadata:\n  name: demo\nspec:\n"
    "  workflow_id: wf-1\n  workflow_version: v1\n"
)
"""A valid deployment; cases append spec fields (two-space indent) to it."""


@dataclass(frozen=True)
class Case:
    """One hostile input: how to build it, what to run, what must come out."""

    name: str
    build: Builder
    args: tuple[str, ...]
    code: int
    lines: tuple[str, ...] = ()
    contains: tuple[str, ...] = field(default=())
    """Substrings expected in stderr instead of exact lines (for messages naming the OS's own words)."""
    after: Callable[[Path], str | None] | None = None
    """A check of the folder after the run (e.g. of the emulator's state); returns what is wrong, or None."""


def write(name: str, text: str | bytes) -> Builder:
    def build(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return build


def both(*builders: Builder) -> Builder:
    def build(root: Path) -> None:
        for builder in builders:
            builder(root)

    return build


def deployment(extra: str, name: str = "d.yaml") -> Builder:
    return write(name, HEAD + extra)


def alias_bomb(levels: int) -> str:
    lines = [
        "apiVersion: comfyops/v1",
        "kind: Deployment",
        "metadata: {name: demo}",
        "spec:",
        "  workflow_id: wf-1",
        "  workflow_version: v1",
        "  smoke:",
        "    extra_data:",
        "      l0: &a0 [x, x, x, x, x, x, x, x, x]",
    ]
    for level in range(1, levels + 1):
        prev = f"*a{level - 1}"
        lines.append(f"      l{level}: &a{level} [{', '.join([prev] * 9)}]")
    return "\n".join(lines) + "\n"


def deep_block(depth: int) -> str:
    lines = [HEAD.rstrip("\n"), "  smoke:", "    extra_data:"]
    indent = "      "
    for level in range(depth):
        lines.append(f"{indent}k{level}:")
        indent += " "
    lines.append(f"{indent}leaf: 1")
    return "\n".join(lines) + "\n"


def big_manifest(size: int, *, broken_end: bool) -> Builder:
    def build(root: Path) -> None:
        chunk = "".join(
            f"---\napiVersion: comfyops/v1\nkind: OverridePreset\nmetadata: {{name: p{i}}}\n"
            f"spec: {{overrides: {{'3': {{inputs: {{seed: {i}}}}}}}}}\n"
            for i in range(2000)
        )
        with open(root / "big.yaml", "w", encoding="utf-8") as out:
            written = 0
            while written < size:
                out.write(chunk)
                written += len(chunk)
            if broken_end:
                out.write("kind: [unclosed\n")

    return build


def big_other_yaml(name: str, size: int) -> Builder:
    def build(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        line = "- {id: 12345, label: some data row}\n"
        (root / name).write_text(line * (size // len(line) + 1), encoding="utf-8")

    return build


def fifo(name: str) -> Builder:
    def build(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / name)

    return build


def symlink(name: str, target: str) -> Builder:
    def build(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / name)

    return build


def sized_json(name: str, size: int) -> Builder:
    def build(root: Path) -> None:
        with open(root / name, "w", encoding="utf-8") as out:
            out.write('{"1": {"class_type": "Note", "inputs": {"text": "')
            out.write("x" * size)
            out.write('"}}}')

    return build


EMULATOR_STATE = ".emulator-state"
"""The emulator's state folder inside each case's folder (``runner.py`` points ``--emulator`` at it)."""
PRUNE_ALL = (
    "apiVersion: comfyops/v1\nkind: Settings\nspec:\n  prune: {enabled: true, match: ['*']}\n---\n"
    "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: other}\n"
    "spec: {workflow_id: wf-1, workflow_version: v1}\n"
)
"""Prune on for every live name, and one more deployment (so the empty-manifest guard does not step in):
a manifest the walk misses would become a delete."""


def live_demo(root: Path) -> None:
    """Seed the emulator with the live deployment ``demo`` (workflow ``wf-1`` at ``v1``) that HEAD declares."""
    from reconciler.emulator.deployments import create_record
    from reconciler.emulator.state import EmulatorState

    state = EmulatorState(root / EMULATOR_STATE)
    state.register_workflow("wf-1", "v1", {"1": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}})
    with state.transaction() as data:
        record = create_record(data, {"name": "demo", "workflow_id": "wf-1", "workflow_version": "v1"}, "2026-01-01")
        data["deployments"][record["id"]] = record


def demo_still_live(root: Path) -> str | None:
    """None when ``demo`` is still live (no DELETE reached the emulator), else what happened to it."""
    from reconciler.emulator.state import EmulatorState

    with EmulatorState(root / EMULATOR_STATE).read() as data:
        records = [r for r in data["deployments"].values() if r["name"] == "demo"]
    if len(records) != 1 or records[0].get("deleted") or records[0].get("is_enabled") is False:
        return f"demo was deleted or paused: {records}"
    return None


def pruned_with(name: str, text: str | bytes) -> Builder:
    """A live ``demo``, prune on for every name, and ``demo`` declared only in ``name`` as ``text``."""
    return both(live_demo, write("settings.yaml", PRUNE_ALL), write(name, text))


APPLY_PRUNE = ("--emulator", "apply", "--auto-approve", "-f", ".")


def headed(api_version: str) -> str:
    """HEAD with ``apiVersion:`` written as ``api_version``."""
    return HEAD.replace("apiVersion: comfyops/v1", f"apiVersion: {api_version}")


def pruned(name: str, file: str, text: str | bytes, *lines: str) -> Case:
    """``demo`` declared only in ``file`` as ``text``, applied with prune on for every name: read, it stays
    (exit 0), or it is an error with ``lines`` (exit 1); either way no DELETE reaches the emulator."""
    return Case(name, pruned_with(file, text), APPLY_PRUNE, 1 if lines else 0, lines or APPLIED,
                after=demo_still_live)
APPLIED = ("  + other: create ...", "    other: applied")
"""What the apply of a correctly read case prints: ``other`` is created, ``demo`` is left alone."""
FLOW_DEMO = '{"apiVersion": "comfyops/v1", "kind": "Deployment", "metadata": {"name": "demo"}, ' \
    '"spec": {"workflow_id": "wf-1", "workflow_version": "v1"}}\n'

WF = "  workflow_file: wf.json\n"
SETTINGS = "apiVersion: comfyops/v1\nkind: Settings\nspec:\n"
VALID_WORKFLOW = (  # its link leads to a node it has: a link to a missing node makes the workflow invalid
    '{"1": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}},'
    ' "2": {"class_type": "LoadImage", "inputs": {"image": "x.png"}}}'
)
INVALID = "error: manifests are invalid"

CASES: list[Case] = [
    # -- 1. nothing hangs or eats memory ---------------------------------------------------------
    Case(
        "alias_bomb_9_levels",
        write("d.yaml", alias_bomb(9)),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:1:1: invalid YAML: aliases expand to more than 50000 values (hint: YAML aliases (*name) may "
            "repeat at most 50000 values per file; use fewer aliases)",
        ),
    ),
    Case(
        "alias_bomb_7_levels",
        write("d.yaml", alias_bomb(7)),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:1:1: invalid YAML: aliases expand to more than 50000 values (hint: YAML aliases (*name) may "
            "repeat at most 50000 values per file; use fewer aliases)",
        ),
    ),
    Case("alias_small_is_fine", write("d.yaml", alias_bomb(3)), ("validate", "-f", "d.yaml"), 0),
    Case(
        "self_referencing_mapping",
        deployment("  smoke:\n    extra_data: &x {self: *x}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:9:17: invalid YAML: recursive alias: this value contains itself (hint: an alias (*name) may "
            "not refer to a value that contains it)",
        ),
    ),
    Case(
        "self_referencing_list",
        write("d.yaml", HEAD.replace("  name: demo\n", "  name: demo\n  previous_names: &l [old, *l]\n")),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:5:19: invalid YAML: recursive alias: this value contains itself (hint: an alias (*name) may "
            "not refer to a value that contains it)",
        ),
    ),
    Case(
        "flow_nesting_900",
        deployment("  smoke:\n    extra_data: {a: " + "[" * 900 + "]" * 900 + "}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:9:117: invalid YAML: nested more than 100 levels deep (hint: manifests nest a few levels; "
            "flatten the structure)",
        ),
    ),
    Case(
        "flow_nesting_100000",
        deployment("  smoke:\n    extra_data: {a: " + "[" * 100_000 + "}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:9:1017: invalid YAML: nested more than 100 levels deep (hint: manifests nest a few levels; "
            "flatten the structure)",
        ),
    ),
    Case(
        "block_nesting_900",
        write("d.yaml", deep_block(900)),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:107:104: invalid YAML: nested more than 100 levels deep (hint: manifests nest a few levels; "
            "flatten the structure)",
        ),
    ),
    Case(
        "workflow_file_deep_json",
        both(deployment(WF), write("wf.json", "[" * 100_000)),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.workflow_file: wf.json: invalid JSON: JSON nested too deeply (hint: the file must "
            "be a workflow_api.json)",
        ),
    ),
    Case(
        "object_info_deep_json",
        both(deployment(WF), write("wf.json", VALID_WORKFLOW), write("object_info.json", "[" * 100_000)),
        ("validate", "-f", "d.yaml"),
        1,
        ("object_info.json: invalid JSON: JSON nested too deeply",),
    ),
    Case(
        "fifo_in_folder",
        both(deployment(""), fifo("sub/pipe.yaml")),
        ("validate", "-f", "."),
        1,
        ("sub/pipe.yaml: not a regular file: it is a FIFO (named pipe) (hint: point -f at a file or folder)",),
    ),
    Case(
        "fifo_named_with_f",
        fifo("pipe.yaml"),
        ("validate", "-f", "pipe.yaml"),
        1,
        (
            "pipe.yaml: not a regular file or folder: it is a FIFO (named pipe) (hint: point -f at a manifest file "
            "or a folder of manifests)",
        ),
    ),
    Case(
        "symlink_to_dev_zero",
        both(deployment(""), symlink("zero.yaml", "/dev/zero")),
        ("validate", "-f", "."),
        1,
        ("zero.yaml: not a regular file: it is a character device (hint: point -f at a file or folder)",),
    ),
    Case(
        "workflow_file_is_dev_zero",
        both(deployment(WF), symlink("wf.json", "/dev/zero")),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.workflow_file: wf.json: cannot read workflow file: not a regular file: it is a "
            "character device (hint: point -f at a file or folder)",
        ),
    ),
    Case(
        "manifest_50mb",
        big_manifest(50 * 1024 * 1024, broken_end=False),
        ("validate", "-f", "big.yaml"),
        1,
        contains=("big.yaml: file is too large (", "; the limit is 4 MiB) (hint: split it into smaller files)"),
    ),
    Case(
        "manifest_50mb_syntax_error_at_end",
        big_manifest(50 * 1024 * 1024, broken_end=True),
        ("validate", "-f", "big.yaml"),
        1,
        contains=("big.yaml: file is too large (", "; the limit is 4 MiB)"),
    ),
    Case(
        "manifest_3mb_syntax_error_at_end",
        big_manifest(3 * 1024 * 1024, broken_end=True),
        ("validate", "-f", "big.yaml"),
        1,
        contains=("big.yaml:", ": invalid YAML: did not find expected ',' or ']'"),
    ),
    Case(
        "workflow_file_over_limit",
        both(deployment(WF), sized_json("wf.json", 17 * 1024 * 1024)),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.workflow_file: wf.json: cannot read workflow file: file is too large (17.0 MiB; the "
            "limit is 16 MiB) (hint: split it into smaller files)",
        ),
    ),
    Case(
        "symlink_loop_file",
        both(deployment(""), symlink("a.yaml", "b.yaml"), symlink("b.yaml", "a.yaml")),
        ("validate", "-f", "."),
        1,
        (
            "a.yaml: cannot read: symlink loop (too many levels of symbolic links)",
            "b.yaml: cannot read: symlink loop (too many levels of symbolic links)",
        ),
    ),
    Case(
        "symlink_loop_named_with_f",
        both(symlink("a.yaml", "b.yaml"), symlink("b.yaml", "a.yaml")),
        ("validate", "-f", "a.yaml"),
        1,
        ("a.yaml: symlink loop (too many levels of symbolic links) (hint: fix or remove the symlink)",),
    ),
    Case(
        "symlink_loop_folder",
        both(deployment("", "sub/d.yaml"), symlink("sub/again", "..")),
        ("validate", "-f", "."),
        0,
        ("sub/again: warning: symlink loop: this folder contains itself; not followed again",),
    ),
    Case(
        "dev_null",
        lambda root: None,
        ("validate", "-f", "/dev/null"),
        1,
        (
            "/dev/null: not a regular file or folder: it is a character device (hint: point -f at a manifest file or "
            "a folder of manifests)",
        ),
    ),
    Case(
        "missing_path",
        lambda root: None,
        ("validate", "-f", "nope"),
        1,
        ("nope: no such file or directory (hint: check the -f path)",),
    ),
    Case(
        "nul_byte",
        deployment("  hardware: AMP\x00ERE_48\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:16: invalid YAML: control character U+0000 is not allowed (hint: remove it; inside a "
            "double-quoted string it can be written as an escape such as \\x07)",
        ),
    ),
    Case(
        "bel_byte",
        deployment("  hardware: \x07\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:13: invalid YAML: control character U+0007 is not allowed (hint: remove it; inside a "
            "double-quoted string it can be written as an escape such as \\x07)",
        ),
    ),
    Case(
        "esc_byte",
        deployment("  hardware: \x1b[31mred\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:13: invalid YAML: control character U+001B is not allowed (hint: remove it; inside a "
            "double-quoted string it can be written as an escape such as \\x07)",
        ),
    ),
    Case(
        "key_with_newline",
        deployment('  "min\\ninstances": 1\n'),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.\"min\\ninstances\": unknown field 'min\\ninstances' (hint: did you mean "
            "'min_instances'?)",
        ),
    ),
    Case(
        "key_with_escape_sequence",
        deployment('  "\\e[31mqueue_size": 1\n'),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.\"\\x1b[31mqueue_size\": unknown field '\\x1b[31mqueue_size' (hint: did you mean "
            "'queue_size'?)",
        ),
    ),
    Case(
        "huge_value_is_cut",
        deployment("  hardware: " + "A" * 100_000 + "\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.hardware: expected one of TURING_16, AMPERE_24, AMPERE_48, ADA_48_PLUS, AMPERE_80, "
            "ADA_80_PLUS, HOPPER_141; got 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...",
        ),
    ),
    # -- 2. scalars are what the schema says -----------------------------------------------------
    Case(
        "int_yes",
        deployment("  min_instances: yes\n"),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:8:3: spec.min_instances: expected a whole number; got 'yes' (hint: write 1)",),
    ),
    Case(
        "int_true",
        deployment("  min_instances: true\n"),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:8:3: spec.min_instances: expected a whole number; got true (hint: write 1)",),
    ),
    Case(
        "int_quoted",
        deployment('  min_instances: "1"\n'),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:8:3: spec.min_instances: expected a whole number; got '1' (hint: write 1 without quotes)",),
    ),
    Case(
        "int_float",
        deployment("  min_instances: 1.0\n"),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:8:3: spec.min_instances: expected a whole number; got 1.0 (hint: write 1)",),
    ),
    Case(
        "int_base60",
        deployment("  keep_warm_duration_in_seconds: 1:30\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.keep_warm_duration_in_seconds: expected a whole number; got '1:30' (hint: write the "
            "whole number, e.g. 90 for 1:30)",
        ),
    ),
    Case(
        "int_octal_looking",
        deployment("  queue_size: 010\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.queue_size: expected a whole number; got '010' (hint: write 10 without the leading zero "
            "(YAML 1.1 read 010 as octal))",
        ),
    ),
    Case(
        "int_from_variable_is_fine",
        deployment("  min_instances: ${MIN:-2}\n  max_instances: 4\n"),
        ("validate", "-f", "d.yaml"),
        0,
    ),
    Case(
        "int_from_bad_variable",
        deployment("  min_instances: ${MIN:-two}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:8:3: spec.min_instances: expected a whole number; got 'two' from ${VAR}",),
    ),
    Case(
        "bool_off_quoted",
        deployment('  is_enabled: "off"\n'),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:8:3: spec.is_enabled: expected true or false; got 'off' (hint: write false)",),
    ),
    Case(
        "bool_no",
        deployment("  protect: no\n"),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:8:3: spec.protect: expected true or false; got 'no' (hint: write false)",),
    ),
    Case(
        "string_written_as_number",
        write("d.yaml", HEAD.replace("workflow_version: v1", "workflow_version: 1.10")),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:7:3: spec.workflow_version: expected a string; got 1.10 "
            '(hint: quote it if you meant a string: "1.10")',
        ),
    ),
    Case(
        "body_date_becomes_string",
        deployment("  smoke:\n    extra_data: {when: 2024-01-01}\n"),
        ("validate", "-f", "d.yaml"),
        0,
    ),
    Case(
        "body_set",
        deployment("  smoke:\n    extra_data: !!set {a, b}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:9:17: invalid YAML: the YAML type !!set is not allowed here: manifest values are strings, "
            "numbers, true/false, null, lists and mappings",
        ),
    ),
    Case(
        "body_binary",
        deployment("  smoke:\n    extra_data: {b: !!binary aGVsbG8=}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:9:21: invalid YAML: the YAML type !!binary is not allowed here: manifest values are strings, "
            "numbers, true/false, null, lists and mappings",
        ),
    ),
    Case(
        "body_timestamp_tag",
        deployment("  smoke:\n    extra_data: {t: !!timestamp 2024-01-01}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:9:21: invalid YAML: the YAML type !!timestamp is not allowed here: manifest values are "
            "strings, numbers, true/false, null, lists and mappings",
        ),
    ),
    Case(
        "body_nan_tag",
        deployment("  smoke:\n    extra_data: {n: !!float .nan}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:9:21: invalid YAML: '.nan' is not a finite number (JSON has no infinity or NaN)",),
    ),
    Case(
        "float_field_integer_too_large_for_a_float",
        deployment("  smoke:\n    expect: {max_duration_seconds: " + "9" * 400 + "}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:9:14: spec.smoke.expect.max_duration_seconds: input should be a valid number; got "
         "999999999999999999999999999999999999999999999999999999999...",),
    ),
    Case(
        "float_field_inf",
        deployment("  smoke:\n    expect: {max_duration_seconds: .inf}\n"),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:9:14: spec.smoke.expect.max_duration_seconds: expected a number; got '.inf' (hint: JSON has "
            "no infinity or NaN; write a finite number)",
        ),
    ),
    Case(
        "price_negative",
        write("s.yaml", SETTINGS + "  prices: {AMPERE_48: -1}\n"),
        ("validate", "-f", "s.yaml"),
        1,
        ("s.yaml:4:12: spec.prices.AMPERE_48: must be at least 0; got -1",),
    ),
    Case(
        "price_nan",
        write("s.yaml", SETTINGS + "  prices: {AMPERE_48: .nan}\n"),
        ("validate", "-f", "s.yaml"),
        1,
        (
            "s.yaml:4:12: spec.prices.AMPERE_48: expected a number; got '.nan' (hint: JSON has no infinity or NaN; "
            "write a finite number)",
        ),
    ),
    Case(
        "merge_key_override",
        write(
            "d.yaml",
            "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: demo}\n"
            "x-base: &base {workflow_id: wf-1, workflow_version: v1, "
            "queue_size: 1}\n"
            "spec:\n  <<: *base\n  queue_size: 2\n",
        ),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:4:1: x-base: unknown field 'x-base' (hint: allowed: apiVersion, kind, metadata, spec)",),
    ),
    Case(
        "merge_key_override_valid",
        write(
            "d.yaml",
            "apiVersion: comfyops/v1\nkind: Deployment\n"
            "metadata: {name: demo}\n"
            "spec:\n  <<: {workflow_id: wf-1, workflow_version: v1, "
            "queue_size: 1}\n  queue_size: 2\n",
        ),
        ("validate", "-f", "d.yaml"),
        0,
    ),
    Case(
        "real_duplicate_key",
        deployment("  queue_size: 1\n  queue_size: 2\n"),
        ("validate", "-f", "d.yaml"),
        1,
        ("d.yaml:9:3: spec: duplicate key 'queue_size' (first defined at line 8) (hint: remove one of them)",),
    ),
    Case(
        "nested_interpolation",
        deployment('  workflow_file: "${A:-${B}}"\n'),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.workflow_file: nested variable reference in '${A:-${B}}' is not supported (hint: the "
            "default after :- is literal text; set the variable, or write a literal default)",
        ),
    ),
    Case(
        "unterminated_interpolation",
        deployment('  workflow_file: "${VAR"\n'),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:3: spec.workflow_file: malformed variable reference '${VAR' (hint: write ${NAME}, "
            "${NAME:-default} or ${secret:NAME}; NAME is letters, digits and _; write $${ for a literal ${)",
        ),
    ),
    # -- 6. smaller gaps -------------------------------------------------------------------------
    Case(
        "previous_name_claimed_twice",
        write(
            "d.yaml",
            "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: a, previous_names: [old]}\n"
            "spec: {workflow_id: w, workflow_version: v1}\n---\n"
            "apiVersion: comfyops/v1\nkind: Deployment\nmetadata: {name: b, previous_names: [old]}\n"
            "spec: {workflow_id: w, workflow_version: v1}\n",
        ),
        ("validate", "-f", "d.yaml"),
        1,
        (
            "d.yaml:8:38: metadata.previous_names: previous name 'old' is claimed by both 'a' (at d.yaml:3:12) "
            "and 'b' (hint: a live deployment can be renamed into one manifest only; remove it from one of them)",
        ),
    ),
    # -- issue 8 §6: -f . reads only manifests ---------------------------------------------------
    Case(
        "walk_skips_other_yaml",
        both(
            deployment(""),
            write("docker-compose.yaml", "services:\n  web: {image: nginx}\n"),
            write(".github/workflows/ci.yml", "on: push\njobs: {}\n"),
            write("k8s/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\n"),
        ),
        ("-v", "validate", "-f", "."),
        0,
        ("skipped 2 YAML files with no apiVersion: comfyops/... document: docker-compose.yaml, k8s/deploy.yaml",),
    ),
    Case(
        "named_file_always_checked",
        write("docker-compose.yaml", "services:\n  web: {image: nginx}\n"),
        ("validate", "-f", "docker-compose.yaml"),
        1,
        (
            "docker-compose.yaml:1:1: apiVersion: required field is missing (hint: add apiVersion: comfyops/v1)",
            "docker-compose.yaml:1:1: kind: required field is missing (hint: one of Deployment, OverridePreset, "
            "Settings, Environment)",
        ),
    ),
    Case(
        "walk_checks_api_version_typo",
        write("d.yaml", HEAD.replace("comfyops/v1", "comfyop/v1")),
        ("validate", "-f", "."),
        1,
        (
            "d.yaml:1:1: apiVersion: unknown apiVersion 'comfyop/v1'; expected 'comfyops/v1' (hint: did you mean "
            "'comfyops/v1'?)",
        ),
    ),
    Case(
        "walk_skips_large_or_latin1_yaml_that_is_not_ours",
        both(
            deployment(""),
            write("data/latin1.yaml", "name: caf\xe9\n".encode("latin-1")),
            big_other_yaml("data/big.yaml", 5 * 1024 * 1024),
        ),
        ("-v", "validate", "-f", "."),
        0,
        (
            "skipped 2 YAML files with no apiVersion: comfyops/... document: data/big.yaml, data/latin1.yaml",
        ),
    ),
    Case(
        "walk_reports_latin1_manifest",
        write("d.yaml", (HEAD + "  hardware: caf\xe9\n").encode("latin-1")),
        ("validate", "-f", "."),
        1,
        ("d.yaml:8:16: file is not UTF-8 text (byte 0xe9 here) (hint: save it as UTF-8)",),
    ),
    Case(
        "walk_finds_nothing",
        write("docker-compose.yaml", "services: {}\n"),
        ("validate", "-f", "."),
        1,
        (".: no manifest files (*.yaml, *.yml with apiVersion: comfyops/v1) found; skipped 1 YAML file without one",),
    ),
    # -- issue 19 §1: a manifest the walk cannot read as one is an error, never a skip -----------
    pruned("prune_bom_manifest", "d.yaml", "\ufeff" + HEAD),
    pruned("prune_flow_style_manifest", "d.yaml", FLOW_DEMO),
    pruned("prune_json_manifest", "d.yml", FLOW_DEMO.replace("{", "{\n ")),
    pruned("prune_tagged_api_version", "d.yaml", headed("!!str comfyops/v1")),
    pruned("prune_anchored_api_version", "d.yaml", headed("&v comfyops/v1")),
    pruned("prune_quoted_key_and_comment_first", "d.yaml",
           "# generated\n'apiVersion' : \"comfyops/v1\"\n" + HEAD.split("\n", 1)[1]),
    pruned("prune_upper_case_extension", "D.YAML", HEAD),
    pruned("prune_mixed_case_extension", "d.Yml", HEAD),
    pruned("prune_missing_api_version", "d.yaml", HEAD.replace("apiVersion: comfyops/v1\n", ""),
           "d.yaml:1:1: apiVersion: required field is missing (hint: add apiVersion: comfyops/v1)"),
    pruned(
        "prune_metadata_and_spec_without_header", "d.yaml",
        "metadata: {name: demo}\nspec: {workflow_id: wf-1, workflow_version: v1}\n",
        "d.yaml:1:1: apiVersion: required field is missing (hint: add apiVersion: comfyops/v1)",
        "d.yaml:1:1: kind: required field is missing (hint: one of Deployment, OverridePreset, Settings, Environment)",
    ),
    pruned(
        "prune_api_version_not_a_string", "d.yaml", headed("[comfyops/v1]"),
        "d.yaml:1:1: apiVersion: unknown apiVersion ['comfyops/v1']; expected 'comfyops/v1' (hint: did you mean "
        "'comfyops/v1'?)",
    ),
    pruned(
        "prune_other_tools_api_version_over_our_spec", "d.yaml", headed("apps/v1"),
        "d.yaml:1:1: apiVersion: unknown apiVersion 'apps/v1'; expected 'comfyops/v1' (hint: use apiVersion: "
        "comfyops/v1)",
    ),
    pruned("prune_unparseable_manifest", "d.yaml", HEAD + "  hardware: [unclosed\n",
           "d.yaml:9:1: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    pruned(
        "prune_unknown_tag_in_manifest", "d.yaml", headed("!custom comfyops/v1"),
        "d.yaml:1:13: invalid YAML: could not determine a constructor for the tag '!custom'",
    ),
    Case(
        "walk_skips_unparseable_files_that_are_plainly_someone_elses",
        both(
            deployment(""),
            write("ci/build.yml", "on: push\njobs:\n  a: {steps: [{run: x}]}\n  b: [unclosed\n"),
            write("compose.yaml", "services:\n  web: {image: nginx}\n  db: !reset null\n"),
            write("k8s/app.yaml", "apiVersion: apps/v1\nkind: Deployment\nspec: !custom {}\n"),
        ),
        ("-v", "validate", "-f", "."),
        0,
        ("skipped 3 YAML files with no apiVersion: comfyops/... document: ci/build.yml, compose.yaml, "
         "k8s/app.yaml",),
    ),
    Case(
        "walk_refuses_unparseable_files_that_may_be_ours",
        both(deployment(""), write("notes.yaml", "title: x\nitems: [unclosed\n")),
        ("validate", "-f", "."),
        1,
        ("notes.yaml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>'",),
    ),
]
