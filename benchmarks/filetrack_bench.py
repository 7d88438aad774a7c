"""File tracking against a shadow git repository, measured in the same run.

Rows are ``(name, wtb_seconds, baseline_seconds, note)`` with medians over a few
repetitions. The baseline is what a "just use git" design would pay: a repository
whose ``--git-dir`` lives outside the workspace, ``git add -A && git commit`` for a
snapshot and ``git reset --hard`` for a rollback (``gc.auto=0``, so git's
background collection never lands inside a measurement).

Every timed action, WTB's and git's alike, starts after ``os.sync()``: a git commit
leaves megabytes of dirty pages (it rewrites its 1 MB index every time), and without
the flush the kernel writes them back during the next measurement, which is then
WTB's (measured interleaved, WTB's snapshot took 3x as long right after a commit).

Run ``python -m benchmarks.filetrack_bench [--quick]`` to print the table.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from blake3 import blake3

from wtb.config import FileTrackingConfig
from wtb.filetrack import SqliteFileTrackingService

Row = tuple[str, float, float, str]
FILE_SIZE = 2048
PER_DIR = 100


def run(quick: bool) -> list[Row]:
    """All rows; ``quick`` skips the 100,000-file workspace and uses fewer repetitions."""
    reps = 3 if quick else 7
    rows: list[Row] = [_hash_row(32 if quick else 256)]
    with tempfile.TemporaryDirectory(prefix="wtb-filetrack-bench-") as tmp:
        base = Path(tmp)
        rows += _workspace_rows(base / "10k", 10_000, reps, with_restore=True)
        if not quick:
            rows += _workspace_rows(base / "100k", 100_000, max(3, reps // 2), with_restore=False)
        rows.append(_storage_row(base / "storage"))
    return rows


# -- workspaces --


def _make_workspace(root: Path, files: int, rng: random.Random) -> list[Path]:
    paths = []
    for i in range(files):
        folder = root / f"d{i // PER_DIR // 100:03d}" / f"e{i // PER_DIR % 100:02d}"
        if i % PER_DIR == 0:
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"f{i % PER_DIR:03d}.txt"
        path.write_bytes(rng.randbytes(FILE_SIZE))
        paths.append(path)
    return paths


class ShadowGit:
    """A git repository with its git dir outside the workspace."""

    def __init__(self, git_dir: Path, work_tree: Path) -> None:
        self._base = ["git", f"--git-dir={git_dir}", f"--work-tree={work_tree}"]
        self.git_dir = git_dir
        self("init", "-q")
        for key, value in [("user.name", "bench"), ("user.email", "bench@example.com"), ("gc.auto", "0")]:
            self("config", key, value)
        (git_dir / "info").mkdir(exist_ok=True)
        (git_dir / "info" / "exclude").write_text(".wtb/\n")

    def __call__(self, *args: str) -> None:
        subprocess.run([*self._base, *args], check=True, stdout=subprocess.DEVNULL)

    def commit(self) -> None:
        self("add", "-A")
        self("commit", "-q", "--allow-empty", "-m", "snapshot")


def _workspace_rows(root: Path, count: int, reps: int, *, with_restore: bool) -> list[Row]:
    rng = random.Random(count)
    ws = root / "ws"
    ws.mkdir(parents=True)
    paths = _make_workspace(ws, count, rng)
    git = ShadowGit(root / "shadow.git", ws)
    git.commit()
    label = f"{count // 1000}k"
    rows: list[Row] = []
    with SqliteFileTrackingService(ws, ws / ".wtb", FileTrackingConfig()) as svc:
        svc.start()
        svc.snapshot()  # the first snapshot walks and stores everything
        for changed in (1, 10):
            wtb, base, modes = _snapshot_reps(svc, git, paths, changed, reps, rng)
            rows.append((f"snapshot {label} files, {changed} changed (watcher)", wtb, base,
                         f"shadow git add -A && commit; wtb mode: {modes}"))
        with SqliteFileTrackingService(ws, ws / ".wtb", FileTrackingConfig(watch=False)) as walker:
            walker.snapshot()  # the fallback path: a stat walk with the shared stat index
            wtb, base, modes = _snapshot_reps(walker, git, paths, 1, reps, rng)
        rows.append((f"snapshot {label} files, 1 changed (no watcher: stat walk)", wtb, base,
                     f"shadow git add -A && commit; wtb mode: {modes}"))
        if with_restore:
            rows.append(_restore_row(svc, git, paths, reps, rng, label))
    return rows


def _snapshot_reps(
    svc: SqliteFileTrackingService, git: ShadowGit, paths: list[Path], changed: int, reps: int,
    rng: random.Random,
) -> tuple[float, float, str]:
    wtb_times, git_times, modes = [], [], set()
    for _ in range(reps):
        for path in rng.sample(paths, changed):
            path.write_bytes(rng.randbytes(FILE_SIZE))
        wtb_times.append(_timed(svc.snapshot))
        modes.add(svc.last_mode)
        git_times.append(_timed(git.commit))
    modes.discard("unchanged")
    return statistics.median(wtb_times), statistics.median(git_times), "/".join(sorted(modes))


def _restore_row(
    svc: SqliteFileTrackingService, git: ShadowGit, paths: list[Path], reps: int, rng: random.Random, label: str
) -> Row:
    target = svc.snapshot()
    git.commit()
    wtb_times, git_times = [], []
    for _ in range(reps):
        victims = rng.sample(paths, 10)
        content = [rng.randbytes(FILE_SIZE) for _ in victims]
        for path, data in zip(victims, content, strict=True):
            path.write_bytes(data)
        plan = svc.plan_restore(target)
        assert len(plan.writes) == 10, plan
        wtb_times.append(_timed(lambda: svc.restore(target)))
        svc.empty_trash()  # what its thread does a moment later, untimed (see rollback_bench)
        for path, data in zip(victims, content, strict=True):
            path.write_bytes(data)
        git_times.append(_timed(lambda: git("reset", "-q", "--hard")))
    return (f"rollback: restore 10 files in {label}", statistics.median(wtb_times), statistics.median(git_times),
            "git reset --hard; wtb restore() includes its own snapshot of the current state and verifies blobs")


def _storage_row(root: Path) -> Row:
    """20 runs whose output is identical: how much is stored vs referenced."""
    rng = random.Random(20)
    ws = root / "ws"
    ws.mkdir(parents=True)
    _make_workspace(ws, 200, rng)
    git = ShadowGit(root / "shadow.git", ws)
    output = rng.randbytes(256 * 1024)
    wtb_total = git_total = 0.0
    with SqliteFileTrackingService(ws, ws / ".wtb", FileTrackingConfig()) as svc:
        svc.start()
        for run_no in range(20):
            out = ws / "outputs" / f"run_{run_no:02d}" / "result.bin"
            out.parent.mkdir(parents=True)
            out.write_bytes(output)
            start = time.perf_counter()
            svc.link_checkpoint(f"cp{run_no}", f"run{run_no}", svc.snapshot(), {out.relative_to(ws).as_posix(): None})
            wtb_total += time.perf_counter() - start
            git_total += _timed(git.commit)
        stats = svc.stats()
    git_bytes = sum(p.stat().st_size for p in (root / "shadow.git" / "objects").rglob("*") if p.is_file())
    note = (
        f"20 runs x 256 KiB identical output + 200 x 2 KiB inputs: wtb stored {stats.bytes_stored / 1024:.0f} KiB"
        f" in {stats.blobs} blobs for {stats.bytes_referenced / 1024:.0f} KiB referenced"
        f" (dedup {stats.dedup_ratio:.1f}x); shadow git objects {git_bytes / 1024:.0f} KiB; times are totals"
    )
    return ("storage: 20 identical-output runs", wtb_total, git_total, note)


def _hash_row(megabytes: int) -> Row:
    data = os.urandom(megabytes << 20)
    wtb = min(_timed(lambda: blake3(data).hexdigest()) for _ in range(3))
    base = min(_timed(lambda: hashlib.sha256(data).hexdigest()) for _ in range(3))
    gb = megabytes / 1024
    note = f"{megabytes} MiB in memory, one thread: blake3 {gb / wtb:.1f} GB/s, sha256 {gb / base:.1f} GB/s"
    return ("hash: blake3 vs sha256", wtb, base, note)


def _timed(action: Callable[[], object]) -> float:
    """Seconds one call takes, starting with no write-back of earlier work pending."""
    os.sync()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def print_table(rows: list[Row]) -> None:
    """Same convention as ``python -m benchmarks``: ratio = wtb / baseline (below 1: wtb is faster)."""
    print(f"{'benchmark':58} {'wtb ms':>10} {'baseline ms':>12} {'ratio':>7}  note")
    for name, wtb, base, note in rows:
        print(f"{name:58} {wtb * 1000:10.2f} {base * 1000:12.2f} {wtb / base:6.2f}x  {note}")


if __name__ == "__main__":
    if shutil.which("git") is None:
        sys.exit("git is needed for the baseline")
    print_table(run(quick="--quick" in sys.argv))
