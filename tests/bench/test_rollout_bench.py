"""What a rollout through a candidate costs over a plain ``apply --smoke`` of the same version change.

Run with ``python -m pytest tests/bench/test_rollout_bench.py -m bench -s`` (about a minute). One
``comfyops emulator serve`` process with the documented rate limit on (1 request/s, burst 5) and its
default job timing (1 s queued, 2 s running); the real ``comfyops`` command in child processes. Two
identical deployments on wf-1 v1, each with a golden recorded by ``smoke --update-goldens``; then v2 is
saved and one deployment moves to it with ``apply --smoke`` (the floor: one smoke run), the other with
``apply --candidate`` (the candidate's smoke run, the switch, the smoke run after it). The server counts
the calls. Asserted: the rollout costs exactly the candidate's create and delete and one more smoke run
over the floor, and takes at most 2.5 x the floor's wall time. The figures are printed and written to
``results/rollouts.json``; the README's "Rollouts through a candidate" quotes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.harness import ServedEmulator, comfyops, fresh_token

pytestmark = pytest.mark.bench
GRAPH = json.loads((Path(__file__).parents[1] / "data" / "workflows" / "txt2img.json").read_text())
RESULTS = Path(__file__).with_name("results")
MANIFEST = """\
apiVersion: comfyops/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  workflow_id: wf-1
  workflow_version: {version}
  smoke:
    overrides:
      "5": {{inputs: {{width: 384, height: 256}}}}
    expect:
      outputs:
        "9": {{images: {{count: 1, similar_to: goldens/{name}.png}}}}
"""


def test_a_rollout_costs_one_candidate_and_one_smoke_run_more(tmp_path: Path) -> None:
    emulator = ServedEmulator(tmp_path / "state")
    emulator.seed({"wf-1": {"v1": GRAPH}}, [])
    with emulator:
        emulator.configure(noise=0.03)
        token = fresh_token()
        repos = {}
        for name in ("plain", "rolled"):
            repo = tmp_path / name
            repo.mkdir()
            (repo / "d.yaml").write_text(MANIFEST.format(name=name, version="v1"))
            assert comfyops("apply", "--auto-approve", url=emulator.url, cwd=repo, token=token).code == 0
            assert comfyops("smoke", "--update-goldens", url=emulator.url, cwd=repo, token=token).code == 0
            (repo / "d.yaml").write_text(MANIFEST.format(name=name, version="v2"))
            repos[name] = repo
        emulator.api().post("/_emulator/workflows", json={"workflow_id": "wf-1", "version": "v2",
                                                          "workflow_api_json": GRAPH})
        emulator.rate_limit(1.0)
        figures = {}
        for name, extra in (("plain", ["--smoke"]), ("rolled", ["--candidate"])):
            emulator.traffic(reset=True)
            run = comfyops("apply", "--auto-approve", *extra, url=emulator.url, cwd=repos[name])
            assert run.code == 0, run.out + run.err
            traffic = emulator.traffic()
            figures[name] = {"wall_seconds": round(run.wall, 2), "calls": traffic["requests"],
                             "throttled": traffic["by_status"].get("429", 0)}
    extra_calls = figures["rolled"]["calls"] - figures["plain"]["calls"]
    ratio = figures["rolled"]["wall_seconds"] / figures["plain"]["wall_seconds"]
    summary = {**figures, "extra_calls": extra_calls, "wall_ratio": round(ratio, 2)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rollouts.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    assert 6 <= extra_calls <= 8  # create + delete of the candidate; its submit, poll(s), result and cleanup
    assert ratio <= 2.5
