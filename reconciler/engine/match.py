"""Identity: which live deployment each manifest is about (ARCHITECTURE §4).

Pure. A manifest matches the live deployment with its pinned ``metadata.id``; else the one live
deployment with its name; else one live deployment under a ``previous_names`` entry (a rename).
Two live deployments under one name with no pin is an error that says how to pin. A live deployment
can be claimed by only one manifest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

from reconciler.diagnostics import Diagnostic
from reconciler.engine.live import LiveDeployment
from reconciler.manifest.desired import DesiredDeployment


@dataclass(frozen=True)
class Match:
    """A manifest and the live deployment it manages (None: not live yet), and whether it is a rename."""

    desired: DesiredDeployment
    live: LiveDeployment | None
    renamed_from: str | None = None


class Matching(NamedTuple):
    """What :func:`match_all` found: the pairs, the live deployments nobody claimed, and the problems."""

    matches: list[Match]
    unclaimed: list[LiveDeployment]
    problems: list[Diagnostic]


def with_details(matching: Matching, detailed: Mapping[str, LiveDeployment]) -> Matching:
    """``matching`` with the live deployments in ``detailed`` (by id) swapped for their re-read form.

    Re-reading a deployment (e.g. with its saved workflow versions) never changes which manifest it
    belongs to, so the pairs are kept and matching is not run again.
    """
    if not detailed:
        return matching
    matches = [m if m.live is None else replace(m, live=detailed.get(m.live.id, m.live)) for m in matching.matches]
    unclaimed = [detailed.get(d.id, d) for d in matching.unclaimed]
    return Matching(matches, unclaimed, list(matching.problems))


def match_all(desired: tuple[DesiredDeployment, ...], live: list[LiveDeployment]) -> Matching:
    """Pair every manifest with its live deployment; also return the live ones nobody claimed."""
    by_id = {d.id: d for d in live}
    by_name: dict[str, list[LiveDeployment]] = defaultdict(list)
    for deployment in live:
        by_name[deployment.name].append(deployment)
    problems: list[Diagnostic] = []
    matches: list[Match] = []
    claimed: dict[str, DesiredDeployment] = {}
    for want in desired:
        found, renamed_from, problem = _find(want, by_id, by_name)
        if problem is not None:
            problems.append(problem)
            continue
        if found is not None and found.id in claimed:
            other = claimed[found.id]
            problems.append(
                Diagnostic(
                    f"live deployment {found.name!r} ({found.id}) is claimed by both {other.name!r} "
                    f"(at {other.source}) and {want.name!r}",
                    want.source,
                    "metadata",
                    "each live deployment may be managed by one manifest only",
                )
            )
            continue
        if found is not None:
            claimed[found.id] = want
        matches.append(Match(want, found, renamed_from))
    unclaimed = [d for d in live if d.id not in claimed]
    return Matching(matches, unclaimed, problems)


def _find(
    want: DesiredDeployment,
    by_id: dict[str, LiveDeployment],
    by_name: dict[str, list[LiveDeployment]],
) -> tuple[LiveDeployment | None, str | None, Diagnostic | None]:
    if want.pinned_id:
        found = by_id.get(want.pinned_id)
        if found is None:
            return None, None, Diagnostic(
                f"pinned deployment id {want.pinned_id!r} does not exist in RunComfy",
                want.source,
                "metadata.id",
                "remove metadata.id to create a new deployment, or fix the id (the RunComfy dashboard shows it)",
            )
        return found, (found.name if found.name != want.name else None), None
    same_name = by_name.get(want.name, [])
    if len(same_name) > 1:
        return None, None, _ambiguous(want, want.name, same_name)
    if same_name:
        also_live = [old for old in want.previous_names if by_name.get(old)]
        if want.is_absent and also_live:
            # deleting one now and the other on the next run would not converge in one apply
            return None, None, Diagnostic(
                f"both {want.name!r} and its previous name {also_live[0]!r} are live; state: absent is ambiguous",
                want.source,
                "metadata.previous_names",
                f"pin the one to delete with metadata.id, or remove {also_live[0]!r} from previous_names",
            )
        return same_name[0], None, None
    for old in want.previous_names:
        candidates = by_name.get(old, [])
        if len(candidates) > 1:
            return None, None, _ambiguous(want, old, candidates)
        if candidates:
            return candidates[0], old, None
    return None, None, None


def _ambiguous(want: DesiredDeployment, name: str, found: list[LiveDeployment]) -> Diagnostic:
    ordered = sorted(found, key=lambda d: (d.created_at is None, d.created_at or "", d.id))
    ids = ", ".join(f"{d.id} created {d.created_at or 'at an unknown time'}" for d in ordered)
    others = ", ".join(d.id for d in ordered[1:])
    return Diagnostic(
        f"{len(found)} live deployments are named {name!r} ({ids}); cannot tell which one this manifest manages",
        want.source,
        "metadata.name",
        f"keep the earliest: add `id: {ordered[0].id}` under metadata in this manifest, then delete {others} "
        "in the RunComfy dashboard (or let prune delete it); two applies at once cause this, see the README's "
        "Concurrent runs",
    )
