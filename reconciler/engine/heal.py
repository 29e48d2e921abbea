"""Which of a plan's changes self-heal may apply: the part that returns live state to the manifests.

Pure. ``reconcile`` in ``heal`` mode builds the ordinary Plan (``engine.build``: matching, diff,
``ignore_changes``, ``protect``, prune scope are plan's own) and then keeps only the changes heal may make
without a human, so there is no second diff engine:

- ``update``: yes (live settings drifted back to what git says, a pause-prune, a rename);
- ``delete`` of ``state: absent`` or a prune inside ``prune.match``: yes, unless ``protect`` forbids it
  (then the plan has a problem naming the deployment, and heal leaves it);
- ``replace``: never (a new deployment id; a person passes ``--allow-replace``);
- ``create``: only of a deployment that was *applied before*, i.e. this working copy has seen it live
  under that name (the reconcile record in ``.comfyops/reconcile/``), or when ``drift.heal_creates`` is
  true. A manifest that was merged but never applied is a change to roll out, not drift to heal.

Everything left out is listed with the reason, and counts as drift left unhealed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from reconciler.engine.plan import Action, Plan, ResourceChange


@dataclass(frozen=True)
class Unhealed:
    """A change heal would not make, and why."""

    name: str
    action: Action
    reason: str


@dataclass(frozen=True)
class HealSelection:
    """The plan heal applies (only the changes it may make) and the ones it leaves."""

    plan: Plan
    left: tuple[Unhealed, ...]


def select(
    plan: Plan, *, seen: Collection[str], heal_creates: bool, protected: Collection[str] = ()
) -> HealSelection:
    """The changes of ``plan`` heal may apply; ``seen`` names deployments this working copy saw live before,
    ``protected`` the ones a plan rule (``protect``) forbids deleting or replacing."""
    keep: list[ResourceChange] = []
    left: list[Unhealed] = []
    for change in plan.changes:
        reason = _why_not(change, seen, heal_creates, protected)
        if reason is None:
            keep.append(change)
        else:
            left.append(Unhealed(name=change.name, action=change.action, reason=reason))
    return HealSelection(plan=plan.model_copy(update={"changes": keep, "allow_replace": False}), left=tuple(left))


def _why_not(
    change: ResourceChange, seen: Collection[str], heal_creates: bool, protected: Collection[str]
) -> str | None:
    if change.action is Action.NOOP or change.action is Action.UPDATE:
        return None
    if change.action is Action.REPLACE:
        return "a replace (new deployment id) is never healed: run apply --allow-replace"
    if change.name in protected:
        return "protect: true forbids deleting it"
    if change.action is Action.DELETE:
        return None
    if heal_creates or change.name in seen:
        return None
    return ("never applied from this working copy, so it is a change to roll out, not drift: run apply, "
            "or set drift.heal_creates: true")
