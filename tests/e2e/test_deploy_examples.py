"""The Dockerfile and the Kubernetes examples parse, run as non-root, and name only options that exist
(click parses their command lines, option callbacks included, without running anything)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.cli import cli

ROOT = Path(__file__).parents[2]
KUBERNETES = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))


def parses(args: list[str]) -> click.Context:
    """Parse ``comfyops COMMAND ARGS...`` as click would before running the command (callbacks included)."""
    root = click.Context(cli, info_name="comfyops")
    name, *rest = args
    command = cli.get_command(root, name)
    assert command is not None, f"no command {name!r}"
    return command.make_context(name, rest, parent=root)


def _instructions(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    logical = text.replace("\\\n", " ")
    for line in logical.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.setdefault(word.upper(), []).append(rest.strip())
    return found


def test_the_dockerfile_runs_reconcile_watch_as_a_non_root_user_on_a_slim_python() -> None:
    found = _instructions((ROOT / "Dockerfile").read_text())
    assert found["FROM"][0].startswith("python:") and found["FROM"][0].endswith("-slim")
    user = found["USER"][-1].split(":")[0]
    assert user not in ("root", "0")
    assert json.loads(found["ENTRYPOINT"][-1]) == ["comfyops"]
    command = json.loads(found["CMD"][-1])
    ctx = parses(command)
    assert ctx.info_name == "reconcile" and ctx.params["watch"] is True
    assert ctx.params["metrics_addr"].endswith(":" + found["EXPOSE"][-1])


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]
    pod = spec["jobTemplate"]["spec"]["template"]["spec"] if doc["kind"] == "CronJob" else spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    return [c for c in pod["containers"] if "comfyops" in c["image"]]


@pytest.mark.parametrize("path", KUBERNETES, ids=[p.name for p in KUBERNETES])
def test_kubernetes_examples_parse_and_name_only_options_that_exist(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    workloads = [d for d in docs if d["kind"] in ("Deployment", "CronJob")]
    assert workloads
    for doc in workloads:
        (container,) = _containers(doc)
        ctx = parses(container["args"])
        assert ctx.info_name == "reconcile"
        if doc["kind"] == "Deployment":
            assert ctx.params["watch"] is True
            ports = {p["name"]: p["containerPort"] for p in container["ports"]}
            assert ctx.params["metrics_addr"].endswith(f":{ports['metrics']}")
        else:
            assert ctx.params["watch"] is False and ctx.params["metrics_file"] is not None
    services = [d for d in docs if d["kind"] == "Service"]
    for monitor in (d for d in docs if d["kind"] == "ServiceMonitor"):
        wanted = monitor["spec"]["selector"]["matchLabels"]
        matching = [s for s in services if wanted.items() <= s["metadata"]["labels"].items()]
        assert matching, "the ServiceMonitor selects no Service"
        names = {p["name"] for s in matching for p in s["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= names


def test_the_parser_refuses_an_option_that_does_not_exist() -> None:
    with pytest.raises(click.NoSuchOption):
        parses(["reconcile", "--watch", "--metrics-port", "9464"])
    with pytest.raises(click.BadParameter):
        parses(["reconcile", "--metrics-addr", "9464"])
