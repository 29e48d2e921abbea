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


def markdown(rows: list[dict[str, Any]]) -> str:
    """The README table: one line per workload, floor, both tools, and ComfyOps / naive ratios."""
    lines = ["| work | floor | ComfyOps | naive script | ComfyOps / naive (wall, calls, 429s) |",
             "|---|---|---|---|---|"]
    for work, tools in _by_work(rows).items():
        ours, naive = tools.get("comfyops"), tools.get("naive")
        floor = ours.get("floor") if ours else None
        cells = [work, f"{floor:.1f} s" if floor else "-"]
        for row in (ours, naive):
            if row is None:
                cells.append("-")
                continue
            text = f"{row['wall']:.2f} s" if row["wall"] < 10 else f"{row['wall']:.1f} s"
            if row.get("ratio"):
                text += f" ({row['ratio']:.2f} x floor)"
            if row["calls"]:
                text += f", {row['calls']} calls, {row['throttled']} x 429"
            if row.get("peak_rss_mib"):
                text += f", {row['cpu']:.2f} s CPU, {row['peak_rss_mib']:.0f} MiB"
            cells.append(text)
        if ours and naive:
            cells.append(f"{ours['wall'] / naive['wall']:.2f}, {ours['calls'] / naive['calls']:.2f}, "
                         f"{ours['throttled']} vs {naive['throttled']}")
        else:
            cells.append("-")
        lines.append("| " + " | ".join(cells) + " |")
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
    print(markdown(rows))
    if args.png is not None:
        chart(rows, args.png)
        print(f"\nchart written to {args.png}")


if __name__ == "__main__":
    main()
