"""Machine-readable plans and apply reports: the stable contract of ``--format json``.

Pure. These are thin on purpose: the JSON form belongs to the models (``Plan.to_json`` and
``ApplyReport.to_json``, sorted keys, ``format_version``), so that a saved plan file, ``plan
--format json`` and ``show --format json`` can never drift apart. Parsers should key on
``format_version``; text and Markdown wording may change, this may not without a version bump.
"""

from __future__ import annotations

from reconciler.engine.plan import Plan
from reconciler.engine.report import ApplyReport


def render_plan_json(plan: Plan) -> str:
    """The plan's stable JSON form; ``Plan.from_dict(json.loads(...))`` gives the plan back."""
    return plan.to_json()


def render_apply_json(report: ApplyReport) -> str:
    """The apply report's stable JSON form, with per-outcome counts and ``failed``."""
    return report.to_json()
