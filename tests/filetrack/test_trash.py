"""The trash: replaced files are exchanged out of the workspace and deleted afterwards."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.filetrack.conftest import tree_of, write_files
from wtb.filetrack import SqliteFileTrackingService
from wtb.filetrack.errors import RestoreConflictError
from wtb.filetrack.trash import Trash

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def spares(folder: Path) -> list[str]:
    """The empty files made ahead (a replaced file is never empty in these tests). A file the
    trash's thread deletes between the listing and its stat is not one."""
    found = []
    for entry in os.scandir(folder):
        try:
            if entry.stat(follow_symlinks=False).st_size == 0:
                found.append(entry.name)
        except FileNotFoundError:
            continue
    return found


def trash_of(svc: SqliteFileTrackingService) -> Trash:
    trash = svc._trash
    assert trash is not None, "this platform has renameat2 and flock: restores must use the trash"
    return trash


def test_replaced_files_leave_through_the_trash_and_are_deleted_after_the_restore(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({f"d/f{i}.txt": f"old {i}" for i in range(5)} | {"keep.txt": "k"})
    svc = make_service(ws, start=True)
    target = svc.snapshot()
    write_files(ws, {f"d/f{i}.txt": f"new {i}" for i in range(5)})
    reader = open(ws / "d/f0.txt", "rb")  # noqa: SIM115 - held open across the restore
    try:
        svc.restore(target)
        assert reader.read() == b"new 0"  # an open file keeps its content: the name moved on
    finally:
        reader.close()
    assert tree_of(ws) == {f"d/f{i}.txt": f"old {i}".encode() for i in range(5)} | {"keep.txt": b"k"}
    trash = trash_of(svc)
    assert wait_until(lambda: set(spares(trash.folder)) == set(os.listdir(trash.folder))), "replaced files are left"
    assert wait_until(lambda: len(spares(trash.folder)) == trash.spares)  # and new empty files are ready
    assert [n for n in os.listdir(ws / "d") if n.startswith(".wtbtmp")] == []
    assert svc.snapshot() == target
    svc.close()
    assert not trash.folder.exists() and not Path(f"{trash.folder}.lock").exists()


def test_files_written_into_empty_files_made_ahead_get_their_own_mode(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"run.sh": "#!/bin/sh", "secret.txt": "s", "plain.txt": "p"})
    (ws / "run.sh").chmod(0o755)
    (ws / "secret.txt").chmod(0o600)
    svc = make_service(ws, start=True)
    target = svc.snapshot()
    for name in ("run.sh", "secret.txt", "plain.txt"):
        (ws / name).unlink()
        (ws / name).write_text("changed")
    trash = trash_of(svc)
    assert os.listdir(trash.folder) == []  # nothing made ahead before the first restore
    svc.empty_trash()  # what the thread does after a restore: here, now
    assert len(spares(trash.folder)) == trash.spares
    trash.delay_s = 60  # keep the replaced files until this test has looked
    ready = set(spares(trash.folder))
    svc.restore(target)
    assert len(ready - set(spares(trash.folder))) == 3  # three spares now hold the replaced files
    assert tree_of(ws) == {"run.sh": b"#!/bin/sh", "secret.txt": b"s", "plain.txt": b"p"}
    modes = {name: stat.S_IMODE((ws / name).stat().st_mode) for name in ("run.sh", "secret.txt", "plain.txt")}
    assert modes == {"run.sh": 0o755, "secret.txt": 0o600, "plain.txt": 0o644}
    assert svc.snapshot() == target


def test_a_directory_where_the_snapshot_has_a_file_fails_the_restore_and_is_kept(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"x": "file x", "a.txt": "a"})
    svc = make_service(ws, start=True, ignore=["*.log"])
    target = svc.snapshot()
    (ws / "x").unlink()
    write_files(ws, {"x/app.log": "the user's log, ignored", "a.txt": "changed"})
    with pytest.raises(RestoreConflictError, match="'x' is a directory"):
        svc.restore(target)
    assert (ws / "x/app.log").read_text() == "the user's log, ignored"
    trash = trash_of(svc)
    assert wait_until(lambda: set(spares(trash.folder)) == set(os.listdir(trash.folder))), os.listdir(trash.folder)
    assert svc.snapshot() != target  # what the failed restore did is seen by the next snapshot


OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from wtb.filetrack.trash import Trash

    Trash.delay_s = 3600  # its thread never gets to delete: as if killed before it did
    trash = Trash.open(Path(sys.argv[1]))
    (trash.folder / "parked-old-file").write_text("old content")
    print(trash.folder, flush=True)
    time.sleep(60)
    """
)


def _owner(parent: Path) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen([sys.executable, "-c", OWNER, str(parent)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_the_next_open_empties_the_trash_of_a_killed_process_but_not_of_a_live_one(tmp_path: Path) -> None:
    parent = tmp_path / "trash"
    killed, killed_folder = _owner(parent)
    alive, alive_folder = _owner(parent)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert (killed_folder / "parked-old-file").exists()
        trash = Trash.open(parent)
        assert trash is not None
        try:
            assert not killed_folder.exists() and not Path(f"{killed_folder}.lock").exists()
            assert (alive_folder / "parked-old-file").read_text() == "old content"
        finally:
            trash.close()
    finally:
        alive.kill()
        alive.wait()


def test_with_the_data_dir_on_another_file_system_restore_renames_over_the_files(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs a second file system (/dev/shm) for the data directory")
    ws = make_workspace({"a.txt": "a", "b.txt": "b"})
    data = Path(os.path.join(shm, f"wtb-test-{os.getpid()}-{time.monotonic_ns()}"))
    svc = make_service(ws, data, start=True)
    try:
        target = svc.snapshot()
        write_files(ws, {"a.txt": "changed", "c.txt": "new"})
        svc.restore(target)
        assert tree_of(ws) == {"a.txt": b"a", "b.txt": b"b"}
        assert [n for n in os.listdir(ws) if n.startswith(".wtbtmp")] == []
        folder = trash_of(svc).folder
        assert set(spares(folder)) == set(os.listdir(folder))  # no replaced file went through it
    finally:
        svc.close()
        subprocess.run(["rm", "-rf", str(data)], check=True)


@pytest.mark.parametrize("spare_ready", [False, True])
def test_the_trash_never_deletes_a_file_still_being_written(tmp_path: Path, spare_ready: bool) -> None:
    from wtb.filetrack.safefs import SafeRoot

    root = tmp_path / "ws"
    write_files(root, {"old.txt": "old", "sub/x.txt": "x"})
    trash = Trash.open(tmp_path / "trash")
    assert trash is not None
    try:
        if spare_ready:
            trash.tidy()

        def fill(write: Callable[[bytes], None]) -> None:
            write(b"half ")
            trash.empty()  # the trash's thread runs while this file is being written
            write(b"and the rest")

        with SafeRoot(root, trash) as fs:
            fs.write_file("old.txt", 0o644, fill)  # replaces a file
            fs.write_file("sub/new.txt", 0o644, fill)  # creates one
        written = b"half and the rest"
        assert tree_of(root) == {"old.txt": written, "sub/new.txt": written, "sub/x.txt": b"x"}
        trash.empty()
        assert set(os.listdir(trash.folder)) == set(spares(trash.folder))  # the replaced file went
    finally:
        trash.close()
