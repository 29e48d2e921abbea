"""Pure pieces: Markdown cut under a limit, the step summary's 1 MiB budget, workflow-command annotations."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.diagnostics import Diagnostic, Location, Severity
from reconciler.github import annotations, fit, summary
from reconciler.render.status import text_block
from reconciler.render.validation import validation_markdown

NOTICE = "> cut"


def test_text_that_fits_is_returned_unchanged() -> None:
    assert fit.fit("a\nb\n", 4, NOTICE) == "a\nb\n"


def test_cut_prefers_a_block_boundary_and_closes_open_blocks() -> None:
    text = "# head\n\n<details>\n\n```diff\n" + "+ x\n" * 100 + "```\n\n</details>\n"
    out = fit.fit(text, 120, NOTICE)
    assert len(out) <= 120
    assert out.startswith("# head\n")
    assert out.endswith("\n> cut\n")
    assert out.count("```") % 2 == 0 and out.count("<details>") == out.count("</details>")


def test_a_single_huge_line_is_cut_by_characters() -> None:
    out = fit.fit("y" * 500, 100, NOTICE)
    assert len(out) <= 100 and out.startswith("yyy") and out.endswith("> cut\n")


def test_bytes_are_measured_for_multibyte_text() -> None:
    text = "é" * 100 + "\n"
    out = fit.fit(text, 120, NOTICE, measure=fit.utf8_bytes)
    assert fit.utf8_bytes(out) <= 120


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab `\n<>/detailsé")), max_size=400), st.integers(20, 300))
def test_fit_never_exceeds_the_limit(text: str, limit: int) -> None:
    out = fit.fit(text, limit, NOTICE, measure=fit.utf8_bytes)
    assert fit.utf8_bytes(out) <= limit
    if fit.utf8_bytes(text) <= limit:
        assert out == text


def test_summary_appends_and_respects_the_budget(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    assert summary.append(path, "# one")
    assert summary.append(path, "# two\n")
    assert path.read_text(encoding="utf-8") == "# one\n\n# two\n"
    big = "## huge\n\n" + "line of the report\n" * 100_000
    assert summary.append(path, big)
    content = path.read_text(encoding="utf-8")
    assert len(content.encode()) <= summary.STEP_SUMMARY_LIMIT
    assert content.startswith("# one\n\n# two\n\n## huge\n")
    assert "1 MiB step-summary limit" in content


def test_a_full_summary_file_takes_nothing_more(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_bytes(b"x" * summary.STEP_SUMMARY_LIMIT)
    assert not summary.append(path, "# more")
    assert path.stat().st_size == summary.STEP_SUMMARY_LIMIT


def test_summary_path_only_on_actions() -> None:
    assert summary.summary_path({}) is None
    assert summary.summary_path({"GITHUB_STEP_SUMMARY": "/tmp/s"}) == Path("/tmp/s")


def test_workflow_command_for_an_error_with_a_location() -> None:
    diag = Diagnostic(
        "unknown field 'hardwar'", Location("deployments/a,b.yaml", 4, 8), "spec.hardwar", "did you mean 'hardware'?"
    )
    assert annotations.workflow_command(diag) == (
        "::error file=deployments/a%2Cb.yaml,line=4,col=8,title=comfyops::"
        "spec.hardwar: unknown field 'hardwar' (hint: did you mean 'hardware'?)"
    )


def test_workflow_command_escapes_newlines_and_percent_and_warns() -> None:
    diag = Diagnostic("50% done\nnext", None, severity=Severity.WARNING)
    assert annotations.workflow_command(diag) == "::warning title=comfyops::50%25 done%0Anext"


def test_on_github_actions() -> None:
    assert annotations.on_github_actions({"GITHUB_ACTIONS": "true"})
    assert not annotations.on_github_actions({"GITHUB_ACTIONS": "false"})
    assert not annotations.on_github_actions({})


def test_validation_markdown_lists_problems() -> None:
    md = validation_markdown(
        ["staging: 1 deployment, 0 presets: valid"],
        [Diagnostic("bad", Location("a.yaml", 1, 2))],
        failure="manifests are invalid in prod: 1 problem",
    )
    assert md == (
        "### ComfyOps validate\n\n✅ **staging: 1 deployment, 0 presets: valid**  \n"
        "❌ **manifests are invalid in prod: 1 problem**\n\n```text\na.yaml:1:2: bad\n```\n"
    )


def test_text_block_fences_what_it_cannot_be_closed_by() -> None:
    assert text_block("ComfyOps status", "a ``` b\n") == "### ComfyOps status\n\n````text\na ``` b\n````\n"
