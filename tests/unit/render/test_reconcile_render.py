"""A reconcile pass rendered as text and as a notification: what a reader of the log or the chat message sees."""

from __future__ import annotations

from reconciler.engine.drift import DeploymentDrift, DriftedField, DriftKind, DriftReport
from reconciler.engine.reconcile import HealOutcome, ReconcileReport
from reconciler.render.reconcile import message, render_reconcile

DRIFT = DriftReport(checked_at="2026-12-06T10:00:00+00:00", in_sync=["c"], deployments=[
    DeploymentDrift(name="a", id="id-a", kind=DriftKind.DRIFTED, since="2026-12-06T09:00:00+00:00",
                    fields=[DriftedField(field="min_instances", desired=1, live=2),
                            DriftedField(field="workflow_version", sensitive=True)],
                    reason="live settings differ from the manifest"),
    DeploymentDrift(name="b", kind=DriftKind.MISSING, reason="declared, but not live in RunComfy: apply creates it"),
])
REPORT = ReconcileReport(
    environment="prod", commit="0123456789abcdef", mode="heal", acted=True, drift=DRIFT,
    heals=[HealOutcome(name="a", action="update", result="healed"),
           HealOutcome(name="b", action="create", result="left", message="never applied")],
    notes=["a: ignore_changes rule for queue_size expired 2026-12-01: the field counts again"],
)


def test_text_starts_with_what_the_pass_did_then_the_drift_as_found() -> None:
    assert render_reconcile(REPORT, "text") == (
        "reconcile prod (mode heal, commit 0123456789ab): healed 1, drift left unhealed in 1 deployment\n"
        "  note: a: ignore_changes rule for queue_size expired 2026-12-01: the field counts again\n"
        "  healed  a (update)\n"
        "  left    b (create): never applied\n"
        "\n"
        "Found at 2026-12-06T10:00:00+00:00, before heal acted:\n"
        "\n"
        "  ~ a (id-a) has drifted (changed 1 h ago)\n"
        "      # live settings differ from the manifest\n"
        "      min_instances: desired 1, live 2\n"
        "      workflow_version: desired (sensitive value), live (sensitive value)\n"
        "\n"
        "  + b is missing\n"
        "      # declared, but not live in RunComfy: apply creates it\n"
        "\n"
        "Drift: 1 drifted, 1 missing, 0 unmanaged in prune scope, 0 in an error state; 1 in sync.\n"
    )
    assert REPORT.exit_code == 2


def test_a_message_names_environment_commit_deployments_and_fields_with_sensitive_values_masked() -> None:
    title, body = message(REPORT, "drift_detected")
    assert title == "ComfyOps: drift in prod"
    assert body == (
        "Environment: prod\n"
        "Commit: 0123456789abcdef\n"
        "Result: healed 1, drift left unhealed in 1 deployment\n"
        "Note: a: ignore_changes rule for queue_size expired 2026-12-01: the field counts again\n"
        "- a: drifted [healed]\n"
        "    min_instances: 2 (live) -> 1 (git)\n"
        "    workflow_version: (sensitive value) (live) -> (sensitive value) (git)\n"
        "- b: missing [left: never applied]\n"
    )


def test_api_text_in_a_heal_never_acts_on_a_terminal_or_becomes_markup() -> None:
    hostile = "refused\x1b]8;;https://evil.example\x07 <b>@team</b>\n# heading"
    report = REPORT.model_copy(update={"heals": [HealOutcome(name="a", action="update", result="failed",
                                                             message=hostile)]})
    text = render_reconcile(report, "text")
    assert "\x1b" not in text and "\x07" not in text and "failed  a (update): refused\\x1b]8;;" in text
    markdown = render_reconcile(report, "markdown")
    assert "<b>" not in markdown and "\n# heading" not in markdown
    _, body = message(report, "heal_failed")
    assert "\x1b" not in body and "[failed: refused\\x1b" in body
