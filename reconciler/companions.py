"""Deployments ComfyOps makes beside a declared one: rollout candidates and version keepers.

Pure. A *candidate* (``<name>.comfyops-candidate``) is a temporary ``min_instances: 0`` copy of a
deployment on the new workflow version, smoke-tested before the live deployment is switched
(``rollout: {strategy: candidate}``). A *keeper* (``<name>.comfyops-keep``) is a paused
``min_instances: 0`` deployment pinned to the version a deployment moved off, so that RunComfy's
next Cloud Save, which removes the oldest version no deployment uses, cannot remove the way back
(``Settings.keep_previous_version``).

Both are recognised by their reserved suffix alone: no manifest may declare such a name (the loader
refuses it), prune never matches one, and a plan never lists one as unmanaged, in any environment.
A plan touches a companion only when its owner is declared in the manifests being planned.
"""

from __future__ import annotations

from dataclasses import dataclass

CANDIDATE_SUFFIX = ".comfyops-candidate"
KEEPER_SUFFIX = ".comfyops-keep"
RESERVED_SUFFIXES = (CANDIDATE_SUFFIX, KEEPER_SUFFIX)


@dataclass(frozen=True)
class Companion:
    """What a companion name says: its kind (``candidate`` or ``keeper``) and its owner's name."""

    kind: str
    owner: str


def candidate_name(owner: str) -> str:
    """The name of ``owner``'s rollout candidate."""
    return owner + CANDIDATE_SUFFIX


def keeper_name(owner: str) -> str:
    """The name of ``owner``'s version keeper."""
    return owner + KEEPER_SUFFIX


def companion_of(name: str) -> Companion | None:
    """The companion ``name`` is (its kind and owner), or None for an ordinary deployment name."""
    for kind, suffix in (("candidate", CANDIDATE_SUFFIX), ("keeper", KEEPER_SUFFIX)):
        if name.endswith(suffix) and len(name) > len(suffix):
            return Companion(kind=kind, owner=name[: -len(suffix)])
    return None


def is_reserved(name: str) -> bool:
    """Whether ``name`` ends with a suffix ComfyOps reserves for its companions (a manifest may not use it)."""
    return name.endswith(RESERVED_SUFFIXES)
