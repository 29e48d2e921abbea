"""``comfyops plan``: show what apply would change, as text, JSON or Markdown."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from reconciler.cli import output
from reconciler.cli.followups import followup
from reconciler.cli.manifests import files_option, load_desired
from reconciler.cli.output import use_color
from reconciler.cli.snapshot import max_age_option, read_snapshot
from reconciler.cli.summary import publish, summary_option
from reconciler.engine import planner
from reconciler.github.summary import STEP_SUMMARY_LIMIT
from reconciler.render import plan as plan_report
from reconciler.render import render_plan
from reconciler.session import planfiles, snapshots
from reconciler.session.planning import make_plan, with_policy
from reconciler.session.session import Session

FORMATS = click.Choice(["text", "json", "markdown"])


F = TypeVar("F", bound=Callable[..., Any])


def plan_options(func: F) -> F:
    """The options plan and apply share: ``--target``, ``--allow-replace``, ``--allow-empty`` and ``--candidate``
    reach the command as one ``options`` value (:class:`~reconciler.engine.planner.PlanOptions`), beside
    ``show_unmanaged``."""

    command = func

    @functools.wraps(command)
    def gathered(*args: Any, targets: tuple[str, ...], allow_replace: bool, allow_empty: bool, candidate: bool,
                 **kwargs: Any) -> Any:
        options = planner.PlanOptions(targets=targets, allow_replace=allow_replace, allow_empty=allow_empty,
                                      candidate=candidate)
        return command(*args, options=options, **kwargs)

    func = cast(F, gathered)
    func = click.option(
        "--target",
        "targets",
        multiple=True,
        metavar="NAME",
        help="Limit to deployments whose name matches (repeatable; globs like media-*).",
    )(func)
    func = click.option(
        "--allow-replace", is_flag=True, help="Allow replacing deployments whose workflow_id changed (delete + create)."
    )(func)
    func = click.option(
        "--show-unmanaged", is_flag=True,
        help="List the unmanaged deployments left alone (by default text and Markdown count them; JSON lists them).",
    )(func)
    func = click.option(
        "--allow-empty",
        is_flag=True,
        help="Allow a plan that prunes everything when the manifests declare no deployment.",
    )(func)
    func = click.option(
        "--candidate",
        is_flag=True,
        help="Roll each workflow version change of a smoke-tested deployment out through a candidate first "
        "(as rollout: {strategy: candidate} does).",
    )(func)
    return func


@click.command("plan")
@files_option
@plan_options
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), help="Also save the plan (JSON) for `apply FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are.")
@click.option(
    "--live-snapshot",
    "live_snapshot",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Plan against a snapshot of live state (`comfyops snapshot`) instead of the API: no token, no network.",
)
@max_age_option
@summary_option
@click.pass_obj
def command(
    app: Session,
    files: tuple[str, ...],
    options: planner.PlanOptions,
    show_unmanaged: bool,
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    live_snapshot: Path | None,
    max_snapshot_age: str,
    summary: bool,
) -> int:
    """Compare the manifests with live RunComfy deployments and show what apply would change.

    With --live-snapshot FILE, live state comes from a snapshot a trusted job wrote (`comfyops
    snapshot`): no token is read and no call is made, and the plan says how old the snapshot is.
    """
    desired = load_desired(files)
    taken = read_snapshot(live_snapshot, desired, max_snapshot_age) if live_snapshot is not None else None
    made = make_plan(app, desired, options, snapshot=taken)
    if taken is not None:
        made.plan = made.plan.model_copy(update={"snapshot": snapshots.source_of(taken)})
    planned = with_policy(app, made)
    text = render_plan(planned.plan, fmt, color=fmt == "text" and use_color(no_color_flag=app.no_color),
                       show_unmanaged=show_unmanaged)
    output.echo(text, nl=not text.endswith("\n"))
    publish(summary, lambda: plan_report.render_plan_markdown(planned.plan, max_chars=STEP_SUMMARY_LIMIT // 2,
                                                           show_unmanaged=show_unmanaged))
    if out is not None:
        planfiles.save(planned.plan, out)
        apply_it = followup("apply", str(out), app=app, manifests=False)
        output.echo(f"Saved the plan to {out}; apply it with: {apply_it}", err=True)
    if planned.plan.policy is not None and planned.plan.policy.denied:
        return 1
    return 2 if detailed_exitcode and not planned.plan.is_empty else 0
