"""apply --smoke's closing sentence counts changes, smoke results and rollbacks; text keeps that order."""

from __future__ import annotations

from reconciler.engine.plan import Action
from reconciler.engine.report import ROLLBACK_FAILED, ApplyReport, ChangeOutcome, Outcome
from reconciler.render.apply_smoke import render_apply_smoke, sentence
from reconciler.smoke.report import DeploymentResult, SmokeReport, SmokeStatus


def _outcome(name: str, rollback: str = "") -> ChangeOutcome:
    return ChangeOutcome(name=name, action=Action.CREATE, outcome=Outcome.APPLIED, id=f"id-{name}", rollback=rollback)


def test_the_sentence_counts_every_part() -> None:
    report = ApplyReport(changes=[
        _outcome("a", "smoke test failed: paused the new deployment (is_enabled: false)"),
        _outcome("b", f"{ROLLBACK_FAILED}: 500001 internal error"),
        _outcome("c"),
    ])
    smoke = SmokeReport(results=(
        DeploymentResult("a", SmokeStatus.FAIL), DeploymentResult("b", SmokeStatus.ERROR),
        DeploymentResult("c", SmokeStatus.PASS),
    ))
    assert sentence(report, smoke, rollback_asked=True) == (
        "Apply complete: 3 applied, 0 failed; smoke: 1 passed, 1 failed, 1 errored; rolled back: 1; "
        "rollback failed: 1"
    )


def test_without_rollback_the_sentence_does_not_mention_it() -> None:
    report = ApplyReport(changes=[_outcome("a")])
    smoke = SmokeReport(results=(DeploymentResult("a", SmokeStatus.FAIL),))
    assert sentence(report, smoke) == "Apply complete: 1 applied, 0 failed; smoke: 1 failed"


def test_text_shows_changes_then_smoke_then_rollback_then_the_sentence() -> None:
    report = ApplyReport(changes=[_outcome("a", "smoke test failed: paused the new deployment (is_enabled: false)")])
    smoke = SmokeReport(results=(DeploymentResult("a", SmokeStatus.FAIL, reason="status: expected succeeded"),),
                        duration_seconds=1.0)
    assert render_apply_smoke(report, smoke, "text", rollback_asked=True) == (
        "applied  + a (id-a)\n"
        "\n"
        "FAIL  a  status: expected succeeded\n"
        "Smoke tests: 0 passed, 1 failed, 0 errored, 0 skipped in 1.0s.\n"
        "\n"
        "Rollback:\n"
        "  a: smoke test failed: paused the new deployment (is_enabled: false)\n"
        "\n"
        "Apply complete: 1 applied, 0 failed; smoke: 1 failed; rolled back: 1\n"
    )


def test_the_environment_is_named_once() -> None:
    report = ApplyReport(changes=[_outcome("a")], environment="staging")
    smoke = SmokeReport(results=(DeploymentResult("a", SmokeStatus.PASS),), duration_seconds=1.0,
                        environment="staging")
    rendered = render_apply_smoke(report, smoke, "text")
    assert rendered.count("Environment: staging") == 1, rendered
    assert rendered.startswith("Environment: staging\n")
