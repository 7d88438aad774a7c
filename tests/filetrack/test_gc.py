"""GC keeps every referenced blob and tree, removes the rest; stats add up."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from wtb.filetrack import SqliteFileTrackingService
from wtb.filetrack.errors import NotFoundError
from wtb.filetrack.hashing import hash_bytes

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]


def test_gc_keeps_referenced_and_removes_unreferenced(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"shared.txt": "same in all", "out.txt": "v1"})
    svc = make_service(ws)
    svc.gc_grace_s = 0.0
    linked = svc.snapshot()
    svc.link_checkpoint("cp1", "ex1", linked, {"out.txt": hash_bytes(b"v1")})
    (ws / "out.txt").write_text("v2")
    unlinked = svc.snapshot()
    (ws / "out.txt").write_text("v3-pinned")
    pinned = svc.snapshot()
    svc.pin("undo", pinned)
    (ws / "out.txt").write_text("v4-current")
    svc.snapshot()  # not linked, but it is the workspace's current content (stat index root)

    report = svc.gc()
    assert (report.blobs_removed, report.bytes_freed) == (1, 2)  # only "v2"
    assert not svc._blobs.exists(hash_bytes(b"v2"))
    for snap in (linked, pinned):
        for path in svc.files(snap):
            svc.read_file(snap, path)  # every referenced blob is intact
    assert svc._blobs.exists(hash_bytes(b"v4-current"))
    assert report.snapshots_removed == 2  # the unlinked one and the current one
    try:
        svc.files(unlinked)
        raise AssertionError("the unreferenced snapshot should be gone")
    except LookupError:
        pass

    svc.unpin("undo")
    svc.delete_execution("ex1")
    (ws / "out.txt").unlink()
    svc.snapshot()
    report = svc.gc()
    assert report.blobs_removed == 3  # v1, v3-pinned, v4-current
    assert {d for d in svc._blobs.iter()} == {hash_bytes(b"same in all")}
    with sqlite3.connect(ws / ".wtb" / ".filetrack" / "filetrack.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM trees").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 0


def test_grace_period_protects_young_snapshots_and_blobs(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws)
    first = svc.snapshot()
    (ws / "a.txt").write_text("b")
    svc.snapshot()
    report = svc.gc()  # default grace of an hour: a concurrent writer's unlinked snapshot survives
    assert (report.blobs_removed, report.snapshots_removed) == (0, 0)
    assert svc.read_file(first, "a.txt") == b"a"


def test_incremental_snapshot_after_gc_of_its_base(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"d/a.txt": "a", "e/b.txt": "b"})
    svc = make_service(ws, start=True)
    svc.gc_grace_s = 0.0
    svc.snapshot()
    svc.gc()  # the base snapshot was unlinked, so its rows are gone
    (ws / "d" / "a.txt").write_text("changed")
    snap = svc.snapshot()
    assert svc.last_mode == "full"
    assert sorted(svc.files(snap)) == ["d/a.txt", "e/b.txt"]
    for path in svc.files(snap):
        svc.read_file(snap, path)


def test_stats(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace()
    svc = make_service(ws)
    empty = svc.stats()
    assert (empty.blobs, empty.bytes_stored, empty.bytes_referenced, empty.dedup_ratio) == (0, 0, 0, 1.0)
    (ws / "in.txt").write_text("x" * 100)
    for i in range(4):
        (ws / f"out{i}.txt").write_text("y" * 50)
        svc.link_checkpoint(f"cp{i}", "ex", svc.snapshot(), {})
    stats = svc.stats()
    assert (stats.blobs, stats.bytes_stored, stats.snapshots) == (2, 150, 4)
    assert stats.bytes_referenced == sum(100 + 50 * (i + 1) for i in range(4))
    assert stats.dedup_ratio == stats.bytes_referenced / 150


def test_the_files_a_run_stopped_with_are_kept_until_its_execution_goes(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    """``link_stop``: a root for GC like a checkpoint link; deleting the execution drops it."""
    ws = make_workspace({"out.txt": "at the stop"})
    svc = make_service(ws)
    svc.gc_grace_s = 0.0
    stopped = svc.snapshot()
    svc.link_stop("cp1", "ex1", stopped)
    (ws / "out.txt").write_text("later")
    svc.snapshot()
    svc.gc()
    assert svc.stop_snapshot("cp1") == stopped
    assert svc.read_file(stopped, "out.txt") == b"at the stop"
    with pytest.raises(NotFoundError):
        svc.link_stop("cp2", "ex1", "0" * 64)  # no such snapshot: nothing recorded
    assert svc.stop_snapshot("cp2") is None
    svc.delete_execution("ex1")
    assert svc.stop_snapshot("cp1") is None
    assert svc.gc().snapshots_removed == 1
