"""Issue 19 §3, the write sites with no command of their own: the request history, the object_info cache,
GitHub's step summary and step outputs never write through a planted link; policy files are read like
manifests (regular files only, a size limit, never blocking on a FIFO)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler import workspace
from reconciler.errors import ReconcilerError
from reconciler.github import summary
from reconciler.history.entry import Entry
from reconciler.history.store import HistoryStore
from reconciler.policy import sources
from reconciler.smoke.remote import _CachedFetcher
from support.links import VICTIM_BYTES, plant


def test_the_history_refuses_a_link_with_one_line_naming_it(tmp_path: Path) -> None:
    link = tmp_path / ".comfyops" / "history.jsonl"
    victim = plant(link, tmp_path)
    entry = Entry(request_id="r1", deployment_id="d1", deployment="alpha", source="run", api="emulator",
                  submitted_at="2026-12-06T00:00:00Z", updated_at="2026-12-06T00:00:00Z")
    with pytest.raises(ReconcilerError) as raised:
        HistoryStore(link).write(entry)
    assert "history.jsonl" in raised.value.summary and "symbolic link" in raised.value.summary
    assert "\n" not in raised.value.summary
    assert victim.read_bytes() == VICTIM_BYTES and link.is_symlink()


def test_the_object_info_cache_never_writes_through_a_link(tmp_path: Path) -> None:
    url = "https://example.invalid/object_info.json"
    fetcher = _CachedFetcher(lambda _url: {"KSampler": {"input": {"required": {}}, "output": []}}, tmp_path)
    link = fetcher._path(url)
    victim = plant(link, tmp_path)
    os.unlink(link)
    os.symlink("/dev/zero", link)  # not a regular file: refetched, and the store refused
    fetcher.get(url)
    assert victim.read_bytes() == VICTIM_BYTES and os.readlink(link) == "/dev/zero"


@pytest.mark.parametrize("name", ["GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"])
def test_github_files_are_never_appended_through_a_link(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / name
    victim = plant(link, tmp_path)
    with pytest.raises(workspace.UnsafePath, match=name):
        if name == "GITHUB_STEP_SUMMARY":
            summary.append(link, "# plan\n")
        else:
            from reconciler.session import publishing

            monkeypatch.setenv("GITHUB_OUTPUT", str(link))
            publishing.step_outputs(comment_url="x")
    assert victim.read_bytes() == VICTIM_BYTES and link.is_symlink()


def test_a_fifo_named_rego_is_an_error_not_a_hang(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    os.mkfifo(policies / "stuck.rego")
    (policies / "zero.rego").symlink_to("/dev/zero")
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(sources.collect([str(policies)])), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert result, "collect() blocked on a FIFO"
    modules, problems = result[0]
    assert modules == []
    assert sorted(p.message for p in problems) == [
        "cannot read policy file: not a regular file: it is a FIFO (named pipe)",
        "cannot read policy file: not a regular file: it is a character device",
    ]


def test_a_policy_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.rego"
    big.write_text("package x\n" + "# pad\n" * (sources.POLICY_LIMIT // 6 + 1))
    modules, problems = sources.collect([str(big)])
    assert modules == [] and len(problems) == 1 and "too large" in problems[0].message
