"""Check runs: the plan of each environment as one GitHub check, created once per commit and updated after.

Branch protection can require a check, and a check's text holds far more than a comment. The check run
is found by its name and our ``external_id`` (``comfyops:<name>``) among the commit's check runs; a
check of another tool with the same name is never touched (and GitHub lets an app update only its own).
:func:`output` is pure: it fits the title, summary and text into GitHub's limits (65,535 bytes each),
cutting at a block boundary with a note saying where the rest is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from reconciler.github import fit
from reconciler.github.client import GitHubClient, repo_path, seg
from reconciler.github.errors import GitHubError

PERMISSION: Final[str] = "checks: write"
OUTPUT_LIMIT: Final[int] = 65_535
"""GitHub refuses a check run's ``output.summary`` or ``output.text`` longer than this (counted in bytes)."""
TITLE_LIMIT: Final[int] = 1_000
CONCLUSIONS: Final[tuple[str, ...]] = ("success", "failure", "neutral", "action_required")


@dataclass(frozen=True)
class CheckResult:
    """What :func:`upsert` did (``created`` or ``updated``) and the check run."""

    action: str
    check_run_id: int
    url: str


def external_id(name: str) -> str:
    """The id our check runs carry, so that another tool's check of the same name is never ours."""
    return f"comfyops:{name}"


def output(title: str, summary: str, text: str, *, where: str) -> dict[str, str]:
    """The check run's ``output``: each part within GitHub's limits; ``where`` says where the full text is."""
    notice = f"> [!NOTE]\n> Cut to fit GitHub's {OUTPUT_LIMIT:,}-byte limit for a check. The full plan is in {where}."
    one_line = " ".join(title.split())
    return {
        "title": one_line if len(one_line) <= TITLE_LIMIT else one_line[: TITLE_LIMIT - 1] + "…",
        "summary": fit.fit(summary, OUTPUT_LIMIT, notice, measure=fit.utf8_bytes),
        "text": fit.fit(text, OUTPUT_LIMIT, notice, measure=fit.utf8_bytes),
    }


def upsert(
    client: GitHubClient,
    *,
    repository: str,
    name: str,
    head_sha: str,
    conclusion: str,
    output_: dict[str, str],
    details_url: str = "",
) -> CheckResult:
    """Create the check run ``name`` on ``head_sha``, or update ours when the commit already has it."""
    if not re.fullmatch(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", head_sha):
        raise GitHubError(f"{head_sha!r} is not a full commit SHA (hint: pass the pull request's head SHA)")
    if conclusion not in CONCLUSIONS:
        raise GitHubError(f"conclusion {conclusion!r} is not one of {', '.join(CONCLUSIONS)}")
    base = repo_path(repository)
    listed = client.get(
        f"{base}/commits/{seg(head_sha)}/check-runs",
        permission="checks: read",
        params={"check_name": name, "filter": "latest", "per_page": 100},
    )
    runs = listed.get("check_runs", []) if isinstance(listed, dict) else []
    ours = [
        r for r in runs if isinstance(r, dict) and r.get("name") == name and r.get("external_id") == external_id(name)
    ]
    body: dict[str, Any] = {
        "name": name,
        "status": "completed",
        "conclusion": conclusion,
        "external_id": external_id(name),
        "output": output_,
        **({"details_url": details_url} if details_url else {}),
    }
    if ours:
        run_id = max(int(r["id"]) for r in ours)
        made = client.patch(f"{base}/check-runs/{seg(run_id)}", body, permission=PERMISSION)
        return CheckResult("updated", run_id, str(made.get("html_url") or ""))
    made = client.post(f"{base}/check-runs", {**body, "head_sha": head_sha}, permission=PERMISSION)
    return CheckResult("created", int(made["id"]), str(made.get("html_url") or ""))
