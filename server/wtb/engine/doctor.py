"""``wtb doctor``: what a user (or a bug report) needs to know about this installation.

The versions of WTB's key libraries (a new release that changed behaviour is the first
suspect), whether the file watcher is trusted and how long its barrier takes (a live
round trip), where the data directory is and how big, and whether Ray can be imported
for batches (looked up, not imported: that costs a second).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from wtb.filetrack import SqliteFileTrackingService
from wtb.models import DoctorReport, WatcherStatus
from wtb.versions import library_versions


def diagnose(
    workspace: Path, data_dir: Path, tracker: SqliteFileTrackingService | None, measure_data_dir: bool = True
) -> DoctorReport:
    off = WatcherStatus("off", "file tracking is off")
    watcher = tracker.watcher_status(probe=True) if tracker is not None else off
    report = DoctorReport(
        python=sys.version.split()[0],
        libraries=library_versions(),
        watcher=watcher,
        workspace=str(workspace),
        data_dir=str(data_dir),
        data_dir_bytes=_size(data_dir) if measure_data_dir else 0,
        ray_importable=importlib.util.find_spec("ray") is not None,
    )
    if watcher.mode == "walking":
        report.problems.append(f"the file watcher is off ({watcher.reason}): every snapshot walks the workspace")
    if not report.ray_importable:
        report.problems.append("Ray is not installed: batches need pip install 'wtb[batch]'")
    return report


def _size(top: Path) -> int:
    """Bytes in regular files below ``top`` (symlinks are not followed)."""
    total = 0
    for folder, _, names in os.walk(top):
        for name in names:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if not os.path.islink(os.path.join(folder, name)):
                total += st.st_size
    return total


def render(report: DoctorReport) -> str:
    """The human form of the report, one fact a line."""
    w = report.watcher
    rtt = f", barrier round trip {w.round_trip_ms:.2f} ms" if w.round_trip_ms is not None else ""
    watcher = f"{w.mode}{rtt}" + (f" ({w.reason})" if w.reason else "")
    rows = [
        ("python", report.python),
        *((name, version or "(not installed)") for name, version in report.libraries.items()),
        ("watcher", watcher),
        ("workspace", report.workspace),
        ("data dir", f"{report.data_dir} ({_human_bytes(report.data_dir_bytes)})"),
        ("batches", "Ray importable" if report.ray_importable else "Ray not installed"),
        *(("problem", problem) for problem in report.problems),
    ]
    width = max(len(name) for name, _ in rows) + 2
    return "\n".join(f"{name:<{width}}{value}" for name, value in rows)


def _human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
