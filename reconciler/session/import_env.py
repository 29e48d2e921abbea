"""``comfyops import --env NAME``: import live deployments of one environment into shared base manifests.

Effectful (reads and rewrites one Environment file; the command loads the manifests under ``-f``). A
live name carries the environment's ``name_prefix``/``name_suffix`` (``media-x-staging``); the base
manifest is written without them (``media-x``) and without ``metadata.id``, and the id is pinned in that
environment's ``spec.ids``, so that it belongs to that environment alone (a base-level pin would be
shared by every environment and is refused by validate). A base name the manifests already declare gets
only the pin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.engine.live import LiveDeployment
from reconciler.errors import ReconcilerError
from reconciler.manifest import pinning
from reconciler.manifest.desired import DesiredState
from reconciler.manifest.files import display_path
from reconciler.readfile import MANIFEST_LIMIT, FileProblem, read_text


@dataclass(frozen=True)
class EnvironmentTarget:
    """The environment imported into: its affixes, the file of its Environment document, the base names."""

    name: str
    prefix: str
    suffix: str
    file: Path
    declared: frozenset[str]

    def base_names(self, live: Sequence[LiveDeployment]) -> dict[str, str]:
        """Each live deployment's id -> its base name (affixes stripped); an error naming every live name
        that does not carry them."""
        names: dict[str, str] = {}
        wrong: list[str] = []
        for deployment in live:
            name = deployment.name
            core = name[len(self.prefix): len(name) - len(self.suffix)]
            if not (name.startswith(self.prefix) and name.endswith(self.suffix) and core):
                wrong.append(name)
                continue
            names[deployment.id] = core
        if wrong:
            affixes = " and ".join(
                f"{what} {value!r}" for what, value in (("prefix", self.prefix), ("suffix", self.suffix)) if value
            )
            raise ReconcilerError(
                f"--env {self.name}: {', '.join(repr(n) for n in wrong)} "
                f"{'does' if len(wrong) == 1 else 'do'} not carry the environment's {affixes}",
                "import only this environment's deployments (--name with its affixes), or import without --env",
            )
        return names


def target(state: DesiredState) -> EnvironmentTarget:
    """The Environment ``state`` was resolved for (``--env``), as import writes into it."""
    info = state.environment
    if info is None or info.source is None:
        raise ReconcilerError("--env: the manifests declare no such Environment")
    declared = frozenset(
        d.name[len(info.name_prefix): len(d.name) - len(info.name_suffix)] for d in state.deployments
    )
    return EnvironmentTarget(info.name, info.name_prefix, info.name_suffix, Path(info.source.path), declared)


def pinned_text(env: EnvironmentTarget, pins: Mapping[str, str], *, force: bool) -> str:
    """The Environment file's new text with ``pins`` (base name -> id) in its ``spec.ids``."""
    try:
        text = read_text(env.file, limit=MANIFEST_LIMIT)
        return pinning.pin_ids(text, env.name, pins, replace=force)
    except (FileProblem, pinning.PinProblem) as exc:
        raise ReconcilerError(f"{display_path(env.file)}: {exc}", "nothing was written") from exc
