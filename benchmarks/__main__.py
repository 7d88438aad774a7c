"""``python -m benchmarks [--quick] [--only NAME]``: print every row as a ratio to its baseline.

Each module below has ``run(quick) -> rows``; a row is (name, WTB seconds or value,
baseline measured in the same run or None, note). Ratio = WTB / baseline: below 1 means
WTB is faster, above 1 slower. Absolute times on this noisy 2-core machine vary; compare
ratios only.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

MODULES = (
    "core_bench", "filetrack_bench", "rollback_bench", "lsp_bench", "batch_bench", "cluster_bench", "regression_bench",
    "env_bench", "state_bench",
)
#: (name, WTB seconds or value, baseline or None, note)
Row = tuple[str, float, float | None, str]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, skip the largest sizes")
    parser.add_argument("--only", action="append", help="run only these modules (e.g. core_bench)")
    parser.add_argument("--rows-to", help=argparse.SUPPRESS)  # a child's rows, as JSON (see run_apart)
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    names = args.only or list(MODULES)
    if args.rows_to:
        Path(args.rows_to).write_text(json.dumps(run_here(names[0], args.quick)), encoding="utf-8")
        return 0
    rows = [row for name in names for row in run_apart(name, args.quick)]
    print_table(rows)
    return 0


def run_apart(name: str, quick: bool) -> list[Row]:
    """One module's rows, measured in a process of its own.

    Modules leave state behind in a process (Ray's driver connection, imported workflow
    modules, warmed caches): measured in one process, a module's rows depended on which
    ran before it, and the cluster rows failed once the batch rows had used Ray.
    """
    with tempfile.TemporaryDirectory(prefix="wtb-bench-rows-") as folder:
        out = Path(folder) / "rows.json"
        command = [sys.executable, "-m", "benchmarks", "--only", name, "--rows-to", str(out)]
        if quick:
            command.append("--quick")
        code = subprocess.call(command)
        if code != 0 or not out.exists():
            return [(f"{name}: FAILED (exit {code}, see above)", float("nan"), None, "")]
        return [(str(r[0]), float(r[1]), None if r[2] is None else float(r[2]), str(r[3]))
                for r in json.loads(out.read_text(encoding="utf-8"))]


def run_here(name: str, quick: bool) -> list[Row]:
    """One module's rows, measured in this process (a failure becomes a row that says so)."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError:
        return []
    try:
        return list(module.run(quick))
    except Exception:
        traceback.print_exc()
        return [(f"{name}: FAILED (see traceback above)", float("nan"), None, "")]


def print_table(rows: list[Row]) -> None:
    width = max((len(r[0]) for r in rows), default=10)
    print(f"{'benchmark'.ljust(width)}  {'wtb':>10}  {'baseline':>10}  {'ratio':>8}  note")
    for name, value, baseline, note in rows:
        ratio = f"{value / baseline:7.2f}×" if baseline else "       -"
        base = _fmt(baseline) if baseline is not None else "-"
        print(f"{name.ljust(width)}  {_fmt(value):>10}  {base:>10}  {ratio:>8}  {note}")
    sys.stdout.flush()


def _fmt(value: float) -> str:
    return f"{value * 1000:.2f}ms" if value < 10 else f"{value:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
