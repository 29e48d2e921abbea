"""What every benchmark needs: the emulator served over HTTP, commands run as real processes, and
figures recorded for the README.

- :class:`ServedEmulator` runs ``python -m reconciler emulator serve`` on a free loopback port, with
  the documented rate limit on, and reads the server's own request counts (``/_emulator/traffic``),
  so calls and 429s are counted where no client can miscount them.
- :func:`run_process` runs a command and measures its wall time, CPU time and peak RSS (``wait4``).
  Commands run with bytecode caching on (as an installed package has its ``.pyc`` files), whatever
  ``PYTHONDONTWRITEBYTECODE`` says in the calling shell; :func:`warm_up` writes them once.
- :func:`record` appends one row to ``results/latest.json``; ``chart.py`` draws and tabulates them.
  A row holds every repetition (3 by default, :data:`REPETITIONS`): its ratio to the floor is their
  median, its spread their lowest and highest, and the machine's load average when measured.

Every run uses a fresh bearer token: the emulator keeps one token bucket per token, so a run never
inherits a bucket its predecessor drained.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.emulator.state import EmulatorState

RESULTS = Path(__file__).parent / "results" / "latest.json"
BURST = 5
REPETITIONS = 3


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServedEmulator:
    """``comfyops emulator serve`` in a subprocess on a state directory, stopped on exit."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(base_url=self.url, timeout=30)

    def seed(self, workflows: Mapping[str, Mapping[str, Any]], deployments: Sequence[Mapping[str, Any]]) -> None:
        """Write workflows (``{id: {version: graph}}``) and deployment records before the server starts."""
        assert self._process is None, "seed before start"
        state = EmulatorState(self.state_dir)
        with state.transaction() as data:
            for workflow_id, versions in workflows.items():
                data["workflows"].setdefault(workflow_id, {}).update(versions)
            for record in deployments:
                data["deployments"][record["id"]] = {**record, "deleted": False}

    def __enter__(self) -> ServedEmulator:
        log = (self.state_dir.parent / f"emulator-{self.port}.log").open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", str(self.port),
             "--state", str(self.state_dir)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self._http.get("/_emulator/health").status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"the emulator did not start on {self.url}")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._http.close()

    def configure(self, **settings: Any) -> None:
        """Change the emulator's settings (rate limit, job durations)."""
        self._http.post("/_emulator/config", json=settings).raise_for_status()

    def rate_limit(self, per_second: float, burst: int = BURST) -> None:
        """Turn the account rate limit on at ``per_second`` with ``burst``."""
        self.configure(rate_limit_enabled=True, rate_limit_per_second=per_second, rate_limit_burst=burst)

    def traffic(self, *, reset: bool = False) -> dict[str, Any]:
        """The API requests served so far (``requests``, ``by_status``); ``reset`` zeroes the counts."""
        response = self._http.request("DELETE" if reset else "GET", "/_emulator/traffic")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def faults(self, **settings: Any) -> None:
        """Replace the injected faults (``error_rate``, ``drop_rate``, ``seed``, ...); none clears them."""
        self._http.post("/_emulator/faults", json=settings).raise_for_status()

    def api(self) -> httpx.Client:
        """An unthrottled-by-us client with a fresh token, for setup through the public API."""
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {fresh_token()}"})


def fresh_token() -> str:
    """A bearer token no earlier run used (a fresh server-side bucket)."""
    return f"bench-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Run:
    """One process run: exit code, wall and CPU seconds, peak RSS in MiB, and its output."""

    code: int
    wall: float
    cpu: float
    peak_rss_mib: float
    out: str
    err: str


def run_process(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> Run:
    """Run ``argv`` to completion and measure it (wall, user + system CPU, peak RSS of that process)."""
    out_path, err_path = cwd / ".bench-out", cwd / ".bench-err"
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | dict(env)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), stdout=out, stderr=err, env=environment, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        code=process.returncode, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,
        out=out_path.read_text(errors="replace"), err=err_path.read_text(errors="replace"),
    )


def comfyops(*args: str, url: str, cwd: Path, token: str | None = None) -> Run:
    """Run the real ``comfyops`` command against ``url`` with a fresh token."""
    env = {"RUNCOMFY_API_URL": url, "RUNCOMFY_API_TOKEN": token or fresh_token(), "NO_COLOR": "1"}
    return run_process([sys.executable, "-m", "reconciler", *args], env=env, cwd=cwd)


def warm_up(cwd: Path) -> None:
    """Run the command line once so its modules' bytecode is cached, as in an installed package."""
    run_process([sys.executable, "-m", "reconciler", "validate", "-f", str(EXAMPLES)], env={}, cwd=cwd)


EXAMPLES = Path(__file__).parents[2] / "examples"


def floor_seconds(calls: int, per_second: float, burst: int = BURST) -> float:
    """The least time ``calls`` requests can take under a token bucket of ``per_second`` and ``burst``."""
    return max(0.0, (calls - burst) / per_second)


@dataclass(frozen=True)
class Rep:
    """One repetition of a workload: wall and CPU seconds, API calls and 429s counted by the server."""

    wall: float
    cpu: float
    calls: int = 0
    throttled: int = 0
    peak_rss_mib: float = 0.0
    floor: float | None = None
    """This repetition's own floor, when it is measured (a floor script's CPU in the same run)."""


@dataclass(frozen=True)
class Row:
    """One benchmark figure for the README: a tool on a workload, against that workload's floor.

    ``basis`` says what the ratio compares: ``wall`` (wall time over a rate-limit floor computed from
    first principles, in seconds) or ``cpu`` (CPU time over the CPU of a floor script measured in the
    same repetition). ``floor_how`` says how the floor was found, in a few words.
    """

    work: str
    tool: str
    reps: tuple[Rep, ...]
    floor: float | None = None
    basis: str = "wall"
    floor_how: str = ""
    extra: str = ""

    def _floor_of(self, rep: Rep) -> float | None:
        return rep.floor if rep.floor is not None else self.floor

    @property
    def ratios(self) -> list[float]:
        """Each repetition's ratio to its floor."""
        out = []
        for rep in self.reps:
            floor = self._floor_of(rep)
            if floor:
                out.append((rep.cpu if self.basis == "cpu" else rep.wall) / floor)
        return out

    @property
    def ratio(self) -> float | None:
        """The median repetition's ratio to the floor."""
        return statistics.median(self.ratios) if self.ratios else None

    def median(self, attribute: str) -> float:
        """The median over the repetitions of ``wall``, ``cpu``, ``calls``, ``throttled`` or ``floor``."""
        values = [getattr(r, attribute) if attribute != "floor" else self._floor_of(r) for r in self.reps]
        return float(statistics.median(v for v in values if v is not None))


def record(row: Row) -> None:
    """Add (or replace) ``row`` in ``results/latest.json`` and print it, ratio first."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    rows = [r for r in rows if (r["work"], r["tool"]) != (row.work, row.tool)]
    ratios = row.ratios
    data = {
        "work": row.work, "tool": row.tool, "basis": row.basis, "floor_how": row.floor_how, "extra": row.extra,
        "ratio": row.ratio, "ratio_min": min(ratios, default=None), "ratio_max": max(ratios, default=None),
        "floor": row.median("floor") if (row.floor or any(r.floor for r in row.reps)) else None,
        "wall": row.median("wall"), "cpu": row.median("cpu"), "calls": row.median("calls"),
        "throttled": row.median("throttled"), "peak_rss_mib": row.median("peak_rss_mib"),
        "reps": [asdict(r) for r in row.reps], "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load": round(os.getloadavg()[0], 1), "machine": machine(),
    }
    rows.append(data)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    ratio = (f"{data['ratio']:.2f} x floor ({data['ratio_min']:.2f}-{data['ratio_max']:.2f} over {len(row.reps)}), "
             if row.ratio is not None else "")
    floor = f", floor {data['floor']:.2f}s {row.basis}" if data["floor"] else ""
    extra = f"; {row.extra}" if row.extra else ""
    print(f"\n{row.work} [{row.tool}]: {ratio}wall {data['wall']:.2f}s, CPU {data['cpu']:.2f}s, "
          f"{data['calls']:g} calls, {data['throttled']:g} x 429{floor}; load {data['load']}{extra}")


def machine() -> str:
    """Cores, CPU model and Python version of this machine, for the README table."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model or 'unknown CPU'}, Python {sys.version.split()[0]}"
