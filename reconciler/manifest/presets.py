"""OverridePreset inheritance: resolving ``extends`` chains and merging layers of overrides.

Pure. A preset's effective overrides are its ``extends`` merged left to right (each resolved the
same way), then its own; merging is per node and per input, the later layer winning. Inline
``smoke.overrides`` are one more layer on top. Cycles and unknown names are diagnostics that print
the cycle (``a -> b -> a``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from reconciler.diagnostics import Diagnostic, Location, did_you_mean
from reconciler.manifest.desired import Preset, ResolvedOverrides


class PresetError(Exception):
    """A preset reference that cannot be resolved; carries the diagnostic to report."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def linearize(name: str, presets: Mapping[str, Preset], *, _stack: tuple[str, ...] = ()) -> list[str]:
    """Preset names in merge order for ``name`` (bases first, ``name`` last), or raise PresetError."""
    if name in _stack:
        cycle = " -> ".join((*_stack[_stack.index(name) :], name))
        origin = presets[_stack[0]]
        raise PresetError(
            Diagnostic(
                f"preset inheritance cycle: {cycle}",
                origin.source,
                "spec.extends",
                "remove one of the extends references",
            )
        )
    preset = presets[name]
    order: list[str] = []
    for base in preset.extends:
        if base not in presets:
            raise PresetError(unknown_preset(base, presets, preset.source, "spec.extends"))
        for item in linearize(base, presets, _stack=(*_stack, name)):
            if item not in order:
                order.append(item)
    order.append(name)
    return order


def unknown_preset(name: str, presets: Collection[str], where: Location | None, field: str) -> Diagnostic:
    """The problem reported for a reference to a preset nobody declared (``presets``: the declared names)."""
    hint = did_you_mean(name, list(presets)) or (
        f"declared presets: {', '.join(sorted(presets))}" if presets else "declare it with kind: OverridePreset"
    )
    return Diagnostic(f"preset {name!r} does not exist", where, field, hint)


def merge(layers: list[ResolvedOverrides]) -> ResolvedOverrides:
    """Overrides of ``layers`` merged per node and per input, later layers winning."""
    values: dict[str, dict[str, object]] = {}
    locations: dict[tuple[str, str], Location] = {}
    sensitive: set[tuple[str, str]] = set()
    for layer in layers:
        for node_id, inputs in layer.values.items():
            target = values.setdefault(node_id, {})
            for input_name, value in inputs.items():
                target[input_name] = value
                key = (node_id, input_name)
                if key in layer.locations:
                    locations[key] = layer.locations[key]
                if key in layer.sensitive_inputs:
                    sensitive.add(key)
                else:
                    sensitive.discard(key)
    return ResolvedOverrides(values=values, locations=locations, sensitive_inputs=frozenset(sensitive))


def as_layer(preset: Preset) -> ResolvedOverrides:
    """One preset's own overrides as a merge layer."""
    return ResolvedOverrides(
        values=preset.overrides, locations=preset.locations, sensitive_inputs=preset.sensitive_inputs
    )


def effective_overrides(name: str, presets: Mapping[str, Preset]) -> ResolvedOverrides:
    """The effective overrides of preset ``name`` (raises PresetError on unknown names or cycles)."""
    return merge([as_layer(presets[item]) for item in linearize(name, presets)])
