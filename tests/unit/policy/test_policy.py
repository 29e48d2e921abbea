"""Policy evaluation (conftest conventions) and ``comfyops policy test`` over regopy, with real Rego files."""

from __future__ import annotations

import textwrap
from pathlib import Path

from reconciler.policy import evaluate, testing
from reconciler.render.policy_tests import render_tests

EXAMPLES = Path(__file__).parents[3] / "examples"

PLAN_INPUT = {
    "format_version": 1,
    "environment": "staging",
    "changes": [
        {"name": "big", "action": "create", "after": {"hardware": "HOPPER_141"}, "monthly_cost_after": 6387.5},
        {"name": "small", "action": "noop", "after": {"hardware": "AMPERE_24"}, "monthly_cost_after": 0},
    ],
    "manifests": [],
}


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "policies"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


HARDWARE = """
    package main
    import rego.v1

    deny contains msg if {
        some c in input.changes
        c.after.hardware == "HOPPER_141"
        input.environment != "prod"
        msg := sprintf("%s: HOPPER_141 is only for prod", [c.name])
    }

    warn contains msg if {
        total := sum([c.monthly_cost_after | some c in input.changes])
        total > 1000
        msg := sprintf("warm cost %.2f", [total])
    }
    """


def test_deny_and_warn_messages(tmp_path):
    root = write(tmp_path, {"hardware.rego": HARDWARE})
    report, problems = evaluate.evaluate([str(root)], ["main"], PLAN_INPUT)
    assert problems == []
    assert [(m.rule, m.message) for m in report.denials] == [("deny", "big: HOPPER_141 is only for prod")]
    assert [(m.rule, m.message) for m in report.warnings] == [("warn", "warm cost 6387.50")]
    assert report.denied
    assert report.summary() == "Policy failed: 1 denied, 1 warning (1 file, namespace main)."


def test_nothing_denied_in_prod(tmp_path):
    root = write(tmp_path, {"hardware.rego": HARDWARE})
    report, problems = evaluate.evaluate([str(root)], ["main"], {**PLAN_INPUT, "environment": "prod"})
    assert problems == [] and not report.denied and len(report.warnings) == 1


def test_violation_objects_and_several_namespaces(tmp_path):
    root = write(tmp_path, {
        "a.rego": """
            package team.cost
            import rego.v1
            violation contains {"msg": "too expensive", "details": {"limit": 10}} if { count(input.changes) > 1 }
            """,
        "b.rego": """
            package team.names
            import rego.v1
            warn contains sprintf("%s has a short name", [c.name]) if { some c in input.changes; count(c.name) < 4 }
            """,
        "c.rego": """
            package main
            import rego.v1
            deny contains "main is not queried here" if { true }
            """,
    })
    report, problems = evaluate.evaluate([str(root)], ["team.cost", "team.names"], PLAN_INPUT)
    assert problems == []
    assert [(m.namespace, m.rule, m.message, m.details) for m in report.denials] == [
        ("team.cost", "violation", "too expensive", {"details": {"limit": 10}})]
    assert [(m.namespace, m.message) for m in report.warnings] == [("team.names", "big has a short name")]


def test_v0_partial_rules_are_read_by_their_keys(tmp_path):
    old = 'package main\ndeny[msg] {\n  input.environment == "staging"\n  msg := "old style"\n}\n'
    root = write(tmp_path, {"old.rego": old})
    report, problems = evaluate.evaluate([str(root)], ["main"], PLAN_INPUT)
    assert problems == [] and [m.message for m in report.denials] == ["old style"]


def test_syntax_error_names_file_and_line(tmp_path):
    broken = 'package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := "a\n}\n'
    root = write(tmp_path, {"ok.rego": HARDWARE, "broken.rego": broken})
    _report, problems = evaluate.evaluate([str(root)], ["main"], PLAN_INPUT)
    assert [p.format() for p in problems] == [f"{root / 'broken.rego'}:5:7: rego: Invalid assignment operator"]


def test_unknown_builtin_names_file_and_line(tmp_path):
    source = "package main\nimport rego.v1\n\ndeny contains msg if {\n  msg := no_such_fn(1)\n}\n"
    root = write(tmp_path, {"f.rego": source})
    _report, problems = evaluate.evaluate([str(root)], ["main"], PLAN_INPUT)
    assert len(problems) == 1
    assert problems[0].format().startswith(
        f"{root / 'f.rego'}:5:10: rego: evaluation of data.main.deny failed: Function not found: no_such_fn")


def test_evaluation_error_names_the_rule(tmp_path):
    root = write(tmp_path, {"f.rego": "package main\nimport rego.v1\n\ndeny := \"a\" if true\ndeny := \"b\" if true\n"})
    _report, problems = evaluate.evaluate([str(root)], ["main"], PLAN_INPUT)
    assert len(problems) == 1
    assert problems[0].format().startswith(f"{root / 'f.rego'}:4:1: rego: evaluation of data.main.deny failed")


def test_test_files_are_not_evaluated_and_a_missing_namespace_warns(tmp_path):
    root = write(tmp_path, {"a.rego": HARDWARE, "a_test.rego": "package main\nimport rego.v1\ntest_x if { true }\n"})
    report, problems = evaluate.evaluate([str(root)], ["main", "nope"], PLAN_INPUT)
    assert report.files == [str(root / "a.rego")]
    assert [p.format() for p in problems] == [
        f"{root / 'a.rego'}: spec.policy.namespaces: warning: no policy file declares package nope "
        "(hint: packages found: main)"]


def test_policy_tests_pass_and_fail(tmp_path):
    root = write(tmp_path, {
        "a.rego": HARDWARE,
        "a_test.rego": """
            package main
            import rego.v1

            test_hopper_denied_in_staging if {
                count(deny) == 1 with input.environment as "staging"
                    with input.changes as [{"name": "x", "after": {"hardware": "HOPPER_141"}, "monthly_cost_after": 0}]
            }

            test_wrong_expectation if {
                count(deny) == 2 with input.environment as "staging"
                    with input.changes as [{"name": "x", "after": {"hardware": "HOPPER_141"}, "monthly_cost_after": 0}]
            }
            """,
    })
    results, problems = testing.run_tests([str(root)])
    assert problems == []
    assert [(r.rule, r.outcome.value) for r in results] == [
        ("data.main.test_hopper_denied_in_staging", "PASS"), ("data.main.test_wrong_expectation", "FAIL")]
    assert render_tests(results).endswith(f"{'-' * 80}\nPASS: 1/2\nFAIL: 1/2\n")


def test_unsupported_with_input_is_explained_at_its_line(tmp_path):
    root = write(tmp_path, {
        "a.rego": HARDWARE,
        "a_test.rego": 'package main\nimport rego.v1\ntest_x if {\n'
                       '  count(deny) == 1 with input as {"changes": []}\n}\n',
    })
    results, problems = testing.run_tests([str(root)])
    assert problems == []
    assert results[0].outcome is testing.Outcome.ERROR
    assert results[0].problem is not None
    assert results[0].problem.format().startswith(f"{root / 'a_test.rego'}:4:20: rego: cannot evaluate")
    assert "with input.changes as" in results[0].problem.hint


def test_policy_test_cli_pass_fail_and_exit_codes(tmp_path, run_cli):
    root = write(tmp_path, {"a.rego": HARDWARE, "a_test.rego": "package main\nimport rego.v1\ntest_ok if { true }\n"})
    passed = run_cli("policy", "test", str(root))
    assert passed.code == 0, passed
    assert passed.out == f"{root / 'a_test.rego'}:\ndata.main.test_ok: PASS\n{'-' * 80}\nPASS: 1/1\n"
    (root / "b_test.rego").write_text("package main\nimport rego.v1\ntest_no if { false }\n")
    failed = run_cli("policy", "test", str(root))
    assert failed.code == 1
    assert "data.main.test_no: FAIL" in failed.out and failed.out.endswith("PASS: 1/2\nFAIL: 1/2\n")


def test_policy_test_syntax_error_is_one_line_exit_1(tmp_path, run_cli):
    root = write(tmp_path, {"bad_test.rego": "package main\ntest_x if {\n  x := \n}\n"})
    result = run_cli("policy", "test", str(root))
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.splitlines()[0].startswith(f"{root / 'bad_test.rego'}:")


def test_the_example_policy_library_passes_its_own_tests(run_cli):
    result = run_cli("policy", "test", str(EXAMPLES / "policies"))
    assert result.code == 0, result
    assert result.out.endswith("PASS: 13/13\n")
    assert "FAIL" not in result.out
