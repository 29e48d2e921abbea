"""Turn ``results/latest.json`` into the README's performance table and chart.

Usage: ``python tests/bench/chart.py [--png docs/performance.png]``. Prints the Markdown table; with
``--png`` also draws wall time against the floor for ComfyOps and the naive script (needs the
``bench`` extra: ``pip install -e ".[bench]"`` brings matplotlib).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "latest.json"


def _by_work(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        table.setdefault(row["work"], {})[row["tool"]] = row
    return table


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def markdown(rows: list[dict[str, Any]]) -> str:
    """The README table: per workload, ComfyOps's ratio to the floor (median of the repetitions, lowest
    and highest), the floor and how it was found, wall, CPU, calls and 429s, and the naive script."""
    lines = ["| work | ComfyOps / floor (median; min-max; runs) | floor | ComfyOps wall, CPU, calls, 429s | "
             "naive script | load |",
             "|---|---|---|---|---|---|"]
    for work, tools in _by_work(rows).items():
        ours, naive = tools.get("comfyops"), tools.get("naive")
        if ours is None:
            continue
        ratio = "-"
        if ours.get("ratio") is not None:
            ratio = (f"**{ours['ratio']:.2f} x** ({ours['ratio_min']:.2f}-{ours['ratio_max']:.2f}; "
                     f"{len(ours.get('reps', []))} runs)")
        floor = "-"
        if ours.get("floor"):
            floor = f"{_seconds(ours['floor'])} {'CPU' if ours.get('basis') == 'cpu' else 'wall'}"
            if ours.get("floor_how"):
                floor += f": {ours['floor_how']}"
        figures = f"{_seconds(ours['wall'])}, {_seconds(ours['cpu'])} CPU"
        if ours.get("calls"):
            figures += f", {ours['calls']:g} calls, {ours['throttled']:g} x 429"
        if ours.get("extra"):
            figures += f"; {ours['extra']}"
        baseline = "-"
        if naive is not None:
            baseline = f"{_seconds(naive['wall'])}, {naive['calls']:g} calls, {naive['throttled']:g} x 429"
            if naive.get("ratio") is not None:
                baseline += f" ({naive['ratio']:.2f} x floor)"
        lines.append(f"| {work} | {ratio} | {floor} | {figures} | {baseline} | {ours.get('load', '-')} |")
    return "\n".join(lines)


def chart(rows: list[dict[str, Any]], out: Path) -> None:
    """A horizontal bar chart of wall time vs floor, for each API-bound workload."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    works = [(w, t) for w, t in _by_work(rows).items() if "naive" in t and "comfyops" in t]
    fig, ax = plt.subplots(figsize=(9, 1.2 * len(works) + 1.5))
    height = 0.27
    for i, (_work, tools) in enumerate(reversed(works)):
        y = i
        ax.barh(y + height, tools["comfyops"]["floor"], height, color="#bbbbbb", label="floor" if i == 0 else None)
        ax.barh(y, tools["comfyops"]["wall"], height, color="#2a7ab9", label="ComfyOps" if i == 0 else None)
        ax.barh(y - height, tools["naive"]["wall"], height, color="#d9822b", label="naive script" if i == 0 else None)
        ax.text(tools["comfyops"]["wall"], y, f" {tools['comfyops']['wall']:.1f} s", va="center", fontsize=8)
        ax.text(tools["naive"]["wall"], y - height, f" {tools['naive']['wall']:.1f} s", va="center", fontsize=8)
    ax.set_yticks(range(len(works)), [w for w, _ in reversed(works)], fontsize=8)
    ax.set_xlabel("wall time (s), lower is better")
    ax.set_title("ComfyOps vs a naive script, against the rate-limit floor")
    ax.legend(loc="upper right")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--png", type=Path, default=None, help="also draw the chart to this PNG file")
    args = parser.parse_args()
    rows = json.loads(RESULTS.read_text())
    dates = sorted({r["date"] for r in rows if r.get("date")})
    machines = sorted({r["machine"] for r in rows if r.get("machine")})
    print(f"Measured {dates[0]} to {dates[-1]} on {'; '.join(machines)}\n" if dates else "", end="")
    print(markdown(rows))
    if args.png is not None:
        chart(rows, args.png)
        print(f"\nchart written to {args.png}")


if __name__ == "__main__":
    main()
