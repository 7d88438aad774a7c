"""A data directory that came with an untrusted workspace is data, never instructions.

An attacker who controls the workspace (a cloned repository, an unpacked archive)
controls ``.wtb/`` too. Symlinks planted where WTB keeps its trash folders, lock files
and spare files must never make WTB delete, empty or create anything where they point:
opening the workspace (the service, ``wtb projects``, the daemon) leaves the link's
target untouched, and says so in one line.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.filetrack.conftest import tree_of, write_files
from wtb.config import FileTrackingConfig
from wtb.errors import UnsafePathError
from wtb.filetrack import SqliteFileTrackingService
from wtb.locks import Locks

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]

DEAD = "0123456789abcdef"  # a trash folder name as Trash.open makes them


def outside_folder(tmp_path: Path) -> Path:
    """A folder outside the workspace with files the attacker wants deleted."""
    outside = tmp_path / "outside"
    write_files(outside, {"canary.txt": "precious", f"{DEAD}/canary.txt": "precious too", "sub/deep.txt": "deep"})
    (outside / f"{DEAD}.lock").write_text("")  # so that a followed trash folder looks like a dead trash
    return outside


def snapshot_of(folder: Path) -> dict[str, bytes]:
    return tree_of(folder, skip=())


def _trash_entry(outside: Path, trash: Path) -> None:
    (trash / DEAD).symlink_to(outside)
    (trash / f"{DEAD}.lock").write_text("")


def _trash_entry_and_lock(outside: Path, trash: Path) -> None:
    (trash / DEAD).symlink_to(outside)
    (trash / f"{DEAD}.lock").symlink_to(outside / "canary.txt")


def _trash_folder(outside: Path, trash: Path) -> None:
    trash.rmdir()
    trash.symlink_to(outside)


def _spares_in_a_dead_trash(outside: Path, trash: Path) -> None:
    (trash / DEAD).mkdir()
    (trash / f"{DEAD}.lock").write_text("")
    (trash / DEAD / ".wtbtmp0011223344556677").symlink_to(outside / "canary.txt")
    (trash / DEAD / ".wtbtmp8899aabbccddeeff").symlink_to(outside)
    (trash / DEAD / "sub").symlink_to(outside / "sub")


def _lock_is_a_folder_and_folder_a_file(outside: Path, trash: Path) -> None:
    (trash / f"{DEAD}.lock").mkdir()
    (trash / "fedcba9876543210").write_text("not a folder")
    (trash / "fedcba9876543210.lock").write_text("")


def _lock_is_a_fifo(outside: Path, trash: Path) -> None:
    os.mkfifo(trash / f"{DEAD}.lock")
    (trash / DEAD).symlink_to(outside)


PLANTED: dict[str, Callable[[Path, Path], None]] = {
    "trash/<id> is a symlink": _trash_entry,
    "trash/<id> and trash/<id>.lock are symlinks": _trash_entry_and_lock,
    "the trash folder is a symlink": _trash_folder,
    "spare files in a dead trash are symlinks": _spares_in_a_dead_trash,
    "a lock is a folder, a trash folder a file": _lock_is_a_folder_and_folder_a_file,
    "a lock is a fifo": _lock_is_a_fifo,
}


def plant(ws: Path, tmp_path: Path, how: str) -> tuple[Path, dict[str, bytes]]:
    """Plant one hostile layout in ``ws``'s data directory; returns the outside folder and its content."""
    outside = outside_folder(tmp_path)
    trash = ws / ".wtb" / ".filetrack" / "trash"
    trash.mkdir(parents=True)
    PLANTED[how](outside, trash)
    return outside, snapshot_of(outside)


def one_line_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings logged, each checked to be one line without a traceback."""
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    for record in records:
        assert record.exc_info is None, record.getMessage()
        assert "\n" not in record.getMessage(), record.getMessage()
    return [r.getMessage() for r in records]


@pytest.mark.parametrize("how", list(PLANTED))
def test_opening_the_service_never_touches_what_a_planted_link_points_to(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    ws = make_workspace({"a.txt": "a"})
    outside, before = plant(ws, tmp_path, how)
    with caplog.at_level(logging.WARNING):
        svc = make_service(ws, start=True)
        first = svc.snapshot()
        (ws / "a.txt").write_text("changed")
        svc.restore(first)  # the trash, if any, parks and deletes the replaced file
        svc.empty_trash()
        svc.close()
    assert (ws / "a.txt").read_text() == "a"
    assert snapshot_of(outside) == before
    assert sorted(os.listdir(outside)) == sorted(["canary.txt", DEAD, f"{DEAD}.lock", "sub"])
    warnings = one_line_warnings(caplog)
    if how != "spare files in a dead trash are symlinks":  # a link inside a dead trash is just deleted
        assert warnings, "a planted stranger is reported"
        assert all(".wtb/.filetrack/trash" in w for w in warnings), warnings


@pytest.mark.parametrize("how", list(PLANTED))
def test_wtb_projects_never_touches_what_a_planted_link_points_to(tmp_path: Path, how: str) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    outside, before = plant(ws, tmp_path, how)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2] / "server"),
                                                      env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "wtb", "projects", "--workspace", str(ws)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert snapshot_of(outside) == before
    assert "Traceback" not in result.stderr, result.stderr
    for line in result.stderr.splitlines():
        assert "symlink" in line or "not a folder" in line or "not a plain file" in line, result.stderr


def test_a_planted_gc_lock_link_fails_the_snapshot_in_one_line_and_creates_nothing(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    ws = make_workspace({"a.txt": "a"})
    outside = outside_folder(tmp_path)
    before = snapshot_of(outside)
    home = ws / ".wtb" / ".filetrack"
    home.mkdir(parents=True)
    (home / "gc.lock").symlink_to(outside / "created-by-wtb")  # O_CREAT would create it
    svc = make_service(ws)
    with pytest.raises(UnsafePathError, match=r"gc\.lock is a symlink") as caught:
        svc.snapshot()
    assert "\n" not in str(caught.value)
    assert snapshot_of(outside) == before
    svc.close()


def test_a_planted_link_at_the_filetrack_folder_leaves_no_trash_there(
    make_workspace: MakeWs, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from wtb.filetrack.trash import Trash

    outside = outside_folder(tmp_path)
    (outside / "trash").mkdir()
    (outside / "trash" / DEAD).symlink_to(outside / "sub")
    (outside / "trash" / f"{DEAD}.lock").write_text("")
    before = snapshot_of(outside)
    data = make_workspace() / ".wtb"
    data.mkdir()
    (data / ".filetrack").symlink_to(outside)
    with caplog.at_level(logging.WARNING):
        assert Trash.open(data / ".filetrack" / "trash") is None
    assert snapshot_of(outside) == before
    assert any(".filetrack is a symlink" in w for w in one_line_warnings(caplog))


@pytest.mark.parametrize("planted", ["folder", "file"])
def test_the_engine_locks_never_create_a_file_through_a_planted_link(tmp_path: Path, planted: str) -> None:
    outside = outside_folder(tmp_path)
    before = snapshot_of(outside)
    data = tmp_path / "ws" / ".wtb"
    if planted == "folder":
        data.mkdir(parents=True)
        (data / "locks").symlink_to(outside)
    else:
        (data / "locks").mkdir(parents=True)
        (data / "locks" / "workspace.lock").symlink_to(outside / "created-by-wtb")
    with pytest.raises(UnsafePathError, match="is a symlink") as caught, Locks(data).workspace():
        pass
    assert "\n" not in str(caught.value)
    assert snapshot_of(outside) == before


@pytest.mark.parametrize("planted", [".filetrack", ".filetrack/blobs", ".filetrack/blobs/shard", ".filetrack/cookies"])
def test_a_planted_link_at_a_store_folder_is_refused_and_nothing_is_written_through_it(
    make_workspace: MakeWs, tmp_path: Path, planted: str
) -> None:
    """The blob store, its shards and the watcher's cookie folder are WTB's own: never followed."""
    from wtb.errors import UnsafePathError
    from wtb.filetrack import SqliteFileTrackingService
    from wtb.filetrack.hashing import hash_bytes

    outside = outside_folder(tmp_path)
    before = snapshot_of(outside)
    ws = make_workspace({"a.txt": "content"})
    data = ws / ".wtb"
    shard = hash_bytes(b"content")[:2]
    link = data / planted.replace("shard", shard)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    config = FileTrackingConfig()
    if planted == ".filetrack/cookies":  # the watcher refuses it and snapshots walk
        with SqliteFileTrackingService(ws, data, config) as svc:
            svc.start()
            assert svc.watcher_status().mode in ("off", "walking")
            assert svc.read_file(svc.snapshot(), "a.txt") == b"content"
    else:
        with pytest.raises(UnsafePathError, match="is a symlink"), SqliteFileTrackingService(ws, data, config) as svc:
            svc.snapshot()
    assert snapshot_of(outside) == before


def test_a_planted_wtb_folder_link_is_refused(make_workspace: MakeWs, tmp_path: Path) -> None:
    from wtb import WTBTestBench
    from wtb.errors import UnsafePathError

    outside = outside_folder(tmp_path)
    before = snapshot_of(outside)
    ws = make_workspace({"a.txt": "a"})
    (ws / ".wtb").symlink_to(outside)
    with pytest.raises(UnsafePathError, match=r"\.wtb is a symlink"):
        WTBTestBench.create(workspace=ws)
    assert snapshot_of(outside) == before


def test_a_blob_replaced_by_a_fifo_or_a_link_fails_to_read_without_hanging(
    make_workspace: MakeWs, tmp_path: Path
) -> None:
    from wtb.filetrack import SqliteFileTrackingService
    from wtb.filetrack.errors import IntegrityError
    from wtb.filetrack.hashing import hash_bytes

    ws = make_workspace({"a.txt": "fifo", "b.txt": "link"})
    with SqliteFileTrackingService(ws, ws / ".wtb", FileTrackingConfig()) as svc:
        snap = svc.snapshot()
        blobs = ws / ".wtb" / ".filetrack" / "blobs"
        fifo = blobs / hash_bytes(b"fifo")[:2] / hash_bytes(b"fifo")[2:]
        fifo.unlink()
        os.mkfifo(fifo)
        linked = blobs / hash_bytes(b"link")[:2] / hash_bytes(b"link")[2:]
        linked.unlink()
        (tmp_path / "elsewhere.txt").write_text("link")
        linked.symlink_to(tmp_path / "elsewhere.txt")
        with pytest.raises(IntegrityError):
            svc.read_file(snap, "a.txt")
        with pytest.raises(IntegrityError):
            svc.read_file(snap, "b.txt")
