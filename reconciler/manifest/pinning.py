"""Writing pinned ids into an Environment document's ``spec.ids``, keeping the file as written.

Pure (text in, text out). ``comfyops import --env NAME`` pins each imported deployment's id in the
environment it belongs to, never in the shared base manifests (where every environment would use it).
The file is edited round-trip with ruamel.yaml, so its comments, order and quoting stay as they were;
only the one ``spec.ids`` mapping gains (or keeps) entries.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError


class PinProblem(Exception):
    """The pins cannot be written: the Environment is missing, or a name is pinned to another id."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def pin_ids(text: str, environment: str, pins: Mapping[str, str], *, replace: bool = False) -> str:
    """``text`` with ``pins`` (base name -> id) added to the ``spec.ids`` of the Environment ``environment``.

    A name already pinned to the same id is left alone; to another id it is a :class:`PinProblem`
    unless ``replace``.
    """
    yaml = _yaml()
    try:
        documents = list(yaml.load_all(text))
    except YAMLError as exc:
        raise PinProblem(f"cannot be edited as YAML: {exc}") from exc
    target = next((d for d in documents if _is_environment(d, environment)), None)
    if target is None:
        raise PinProblem(f"holds no Environment named {environment!r}")
    spec = target.get("spec")
    if spec is None:
        spec = target["spec"] = CommentedMap()
    ids = spec.get("ids")
    if ids is None:
        ids = spec["ids"] = CommentedMap()
    for name, pin in sorted(pins.items()):
        if name in ids and ids[name] != pin and not replace:
            raise PinProblem(
                f"environment {environment} already pins {name!r} to {ids[name]!r}, not {pin!r} (pass --force to "
                "replace it)"
            )
        ids[name] = pin
    out = io.StringIO()
    if len(documents) == 1:
        yaml.dump(documents[0], out)
    else:
        yaml.explicit_start = text.lstrip().startswith("---")
        yaml.dump_all(documents, out)
    return out.getvalue()


def _is_environment(document: Any, name: str) -> bool:
    if not isinstance(document, dict) or document.get("kind") != "Environment":
        return False
    metadata = document.get("metadata")
    return isinstance(metadata, dict) and metadata.get("name") == name


__all__ = ["PinProblem", "pin_ids"]
