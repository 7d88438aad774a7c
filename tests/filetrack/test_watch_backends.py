"""Every watch backend, through the same service: WTB's inotify reader and watchdog's
public observers (its native one and its polling one), which macOS and Windows use.

The watchdog paths run here on Linux through the same public interface as there, so a
watchdog release that breaks them fails these tests instead of slowing snapshots.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.filetrack.conftest import tree_of, write_files
from wtb.filetrack import SqliteFileTrackingService
from wtb.filetrack.hashing import hash_bytes

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]
BACKENDS = ["inotify", "watchdog", "polling"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_sees_every_change_incrementally(
    make_workspace: MakeWs, make_service: MakeSvc, backend: str
) -> None:
    ws = make_workspace({"a.txt": "a", "d/x.txt": "x", "d/e/y.txt": "y", "node_modules/m.js": "m"})
    svc = make_service(ws, start=True, watcher=backend)
    assert svc.watcher_status().mode == backend
    s0 = svc.snapshot()
    (ws / "a.txt").write_text("A")
    (ws / "d").rename(ws / "moved")
    write_files(ws, {"new/deep/z.txt": "z", "node_modules/n.js": "ignored"})
    s1 = svc.snapshot()
    assert svc.last_mode == "incremental"
    assert svc.changes(s0, s1) == {
        "a.txt": hash_bytes(b"A"),
        "d/x.txt": None,
        "d/e/y.txt": None,
        "moved/x.txt": hash_bytes(b"x"),
        "moved/e/y.txt": hash_bytes(b"y"),
        "new/deep/z.txt": hash_bytes(b"z"),
    }
    (ws / "moved" / "e" / "y.txt").write_text("inside a moved folder")
    (ws / "new" / "deep" / "z.txt").unlink()
    s2 = svc.snapshot()
    assert svc.last_mode == "incremental"
    assert svc.changes(s1, s2) == {
        "moved/e/y.txt": hash_bytes(b"inside a moved folder"),
        "new/deep/z.txt": None,
    }
    assert s2 == make_service(ws, ws.parent / f"fresh-{backend}").snapshot()  # what a walk finds
    status = svc.watcher_status(probe=True)
    assert status.mode == backend and status.round_trip_ms is not None and status.round_trip_ms >= 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_restores_and_then_snapshots_incrementally(
    make_workspace: MakeWs, make_service: MakeSvc, backend: str
) -> None:
    ws = make_workspace({"a.txt": "a", "sub/b.txt": "b"})
    svc = make_service(ws, start=True, watcher=backend)
    s0 = svc.snapshot()
    write_files(ws, {"a.txt": "changed", "c.txt": "new"})
    svc.snapshot()
    svc.restore(s0)
    assert tree_of(ws) == {"a.txt": b"a", "sub/b.txt": b"b"}
    (ws / "sub" / "b.txt").write_text("after the restore")
    s3 = svc.snapshot()
    assert svc.read_file(s3, "sub/b.txt") == b"after the restore"
    assert sorted(svc.files(s3)) == ["a.txt", "sub/b.txt"]


def test_data_dir_outside_the_workspace_keeps_its_cookies_there(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    for backend in BACKENDS:
        ws = make_workspace({"a.txt": "a"})
        svc = make_service(ws, tmp_path / f"data-{backend}", start=True, watcher=backend)
        s0 = svc.snapshot()
        (ws / "a.txt").write_text("b")
        s1 = svc.snapshot()
        assert svc.last_mode == "incremental", backend
        assert svc.changes(s0, s1) == {"a.txt": hash_bytes(b"b")}
        assert sorted(p.name for p in ws.iterdir()) == ["a.txt"], backend  # no cookie in the workspace


def test_an_unknown_backend_is_a_clear_error(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    with pytest.raises(ValueError, match="Unknown file watcher 'fsevents'"):
        make_service(make_workspace({}), watcher="fsevents")
