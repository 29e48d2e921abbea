"""What a command loads from the manifests lives until it exits: the collector is not made to re-scan it."""

from __future__ import annotations

import gc
from pathlib import Path

from reconciler.cli.manifests import load_result, read_files

DEPLOYMENT = """apiVersion: comfyops/v1
kind: Deployment
metadata: {name: svc-%03d}
spec: {workflow_id: wf, workflow_version: v1, max_instances: 2}
"""


def test_loaded_manifests_are_taken_out_of_the_collectors_view(tmp_path: Path) -> None:
    """A full collection over the YAML nodes of 5,000 deployments costs 0.15 s and frees nothing: reading
    and resolving freeze what they built (``gc.freeze``), and leave the collector as they found it."""
    (tmp_path / "m.yaml").write_text("---\n".join(DEPLOYMENT % i for i in range(50)), encoding="utf-8")
    files = (str(tmp_path / "m.yaml"),)
    assert gc.isenabled()
    before = gc.get_freeze_count()
    read = read_files(files)
    assert gc.isenabled()
    assert gc.get_freeze_count() > before + 50 * 10  # every document's nodes and values
    frozen = gc.get_freeze_count()
    result = load_result(files, None, read=read)
    assert result.state is not None and len(result.state.deployments) == 50
    assert gc.get_freeze_count() > frozen and gc.isenabled()
    gc.unfreeze()  # this test process goes on: let the collector see them again


class _Node:
    """Something a pass of a long-running command leaves behind in a reference cycle."""

    def __init__(self) -> None:
        self.me = self


def test_a_later_load_frees_earlier_cyclic_garbage_instead_of_freezing_it(tmp_path: Path) -> None:
    """``reconcile --watch`` loads the manifests every pass: what earlier passes left in cycles must be
    collected, or each pass would freeze it for good."""
    import weakref

    (tmp_path / "m.yaml").write_text(DEPLOYMENT % 1, encoding="utf-8")
    files = (str(tmp_path / "m.yaml"),)
    load_result(files, None)  # a first pass
    left = _Node()
    gone = weakref.ref(left)
    del left
    load_result(files, None)  # the next pass
    assert gone() is None
    gc.unfreeze()
