"""``python -m benchmarks [--quick] [--only NAME]``: print every row as a ratio to its baseline.

Each module below has ``run(quick) -> rows``; a row is (name, WTB seconds or value,
baseline measured in the same run or None, note). Ratio = WTB / baseline: below 1 means
WTB is faster, above 1 slower. Absolute times on this noisy 2-core machine vary; compare
ratios only.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

MODULES = (
    "core_bench", "filetrack_bench", "rollback_bench", "lsp_bench", "batch_bench", "cluster_bench", "regression_bench",
    "env_bench", "state_bench",
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, skip the largest sizes")
    parser.add_argument("--only", action="append", help="run only these modules (e.g. core_bench)")
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    rows = []
    for name in args.only or MODULES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            continue
        try:
            rows += module.run(args.quick)
        except Exception:
            traceback.print_exc()
            rows.append((f"{name}: FAILED (see traceback above)", float("nan"), None, ""))
    print_table(rows)
    return 0


def print_table(rows: list[tuple[str, float, float | None, str]]) -> None:
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
