"""Restore: exactly the snapshot, verified first, idempotent, never outside the workspace."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.filetrack.conftest import tree_of, write_files
from wtb.config import FileTrackingConfig
from wtb.filetrack import SqliteFileTrackingService
from wtb.filetrack.errors import IntegrityError, UnsafePathError
from wtb.filetrack.hashing import hash_bytes

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]


def corrupt(svc: SqliteFileTrackingService, digest: str) -> None:
    path = svc._blobs.path(digest)
    path.chmod(0o644)
    path.write_bytes(b"bit rot")


@pytest.mark.parametrize("watch", [True, False])
def test_restore_makes_tracked_files_exactly_the_snapshot(
    make_workspace: MakeWs, make_service: MakeSvc, watch: bool
) -> None:
    ws = make_workspace({"keep.txt": "k", "mod.txt": "v1", "gone.txt": "g", "dir/sub/x.txt": "x", "run.sh": "#!"})
    (ws / "run.sh").chmod(0o755)
    svc = make_service(ws, watch=watch, start=True, ignore=["*.log"])
    target = svc.snapshot()
    expected = tree_of(ws)
    (ws / "mod.txt").write_text("v2")
    (ws / "gone.txt").unlink()
    (ws / "run.sh").chmod(0o644)
    write_files(ws, {"extra.txt": "e", "newdir/deep/y.txt": "y", "app.log": "ignored", ".venv/lib.py": "v"})
    (ws / "link").symlink_to("keep.txt")
    written: list[str] = []
    plan = svc.restore(target, on_file=written.append)
    assert sorted(plan.writes) == ["gone.txt", "mod.txt", "run.sh"]
    assert sorted(plan.deletes) == ["extra.txt", "link", "newdir/deep/y.txt"]
    assert sorted(written) == sorted(plan.writes + plan.deletes)
    assert tree_of(ws) == {**expected, "app.log": b"ignored", ".venv/lib.py": b"v"}
    assert not (ws / "newdir").exists()  # emptied directories are removed
    assert not (ws / "link").is_symlink()
    assert stat.S_IMODE((ws / "run.sh").stat().st_mode) == 0o755
    assert svc.snapshot() == target
    assert svc.plan_restore(target).writes == []
    assert [n for n in os.listdir(ws) if n.startswith(".wtbtmp")] == []


def test_restore_recreates_symlinks_and_replaces_dirs_with_files(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"a.txt": "a", "x": "file x"})
    (ws / "ln").symlink_to("a.txt")
    svc = make_service(ws)
    target = svc.snapshot()
    (ws / "ln").unlink()
    (ws / "x").unlink()
    write_files(ws, {"x/inside.txt": "i", "ln": "not a link"})
    svc.restore(target)
    assert os.readlink(ws / "ln") == "a.txt"
    assert (ws / "x").read_text() == "file x"
    assert svc.snapshot() == target


def test_restore_into_an_empty_directory_materialises_everything(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    odd = os.fsdecode(b"bin\xfe\xff.dat")
    binary = os.urandom(10_000)
    ws = make_workspace({"src/main.py": "print(1)\n", odd: binary, "empty.txt": ""})
    (ws / "ln").symlink_to("src/main.py")
    svc = make_service(ws)
    snap = svc.snapshot()
    target = tmp_path / "isolated"
    plan = svc.restore(snap, target)
    assert sorted(plan.writes) == sorted(["src/main.py", odd, "empty.txt", "ln"])
    assert tree_of(target) == tree_of(ws)
    assert Path(os.path.join(target, odd)).read_bytes() == binary
    assert os.readlink(target / "ln") == "src/main.py"
    assert svc.plan_restore(snap, target).writes == []
    (target / "src" / "main.py").write_text("changed")
    assert svc.plan_restore(snap, target).writes == ["src/main.py"]


def test_partial_restore_is_finished_by_the_next_one(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({f"f{i}.txt": f"v1-{i}" for i in range(10)})
    svc = make_service(ws, start=True)
    target = svc.snapshot()
    expected = tree_of(ws)
    write_files(ws, {f"f{i}.txt": f"v2-{i}" for i in range(10)} | {"new.txt": "n"})
    done: list[str] = []

    def crash_after_four(path: str) -> None:
        done.append(path)
        if len(done) == 4:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        svc.restore(target, on_file=crash_after_four)
    assert tree_of(ws) != expected
    plan = svc.restore(target)
    assert len(plan.writes) + len(plan.deletes) == 11 - 4
    assert tree_of(ws) == expected
    assert svc.restore(target).writes == []


def test_corrupt_blob_fails_read_and_restore_before_writing(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "aaa", "b.txt": "bbb"})
    svc = make_service(ws)
    target = svc.snapshot()
    write_files(ws, {"a.txt": "changed a", "b.txt": "changed b"})
    corrupt(svc, hash_bytes(b"bbb"))
    with pytest.raises(IntegrityError, match=r"b\.txt.*" + hash_bytes(b"bbb")):
        svc.read_file(target, "b.txt")
    before = tree_of(ws)
    with pytest.raises(IntegrityError, match=r"b\.txt"):
        svc.restore(target)
    assert tree_of(ws) == before  # nothing written, not even the intact a.txt
    os.unlink(svc._blobs.path(hash_bytes(b"bbb")))
    with pytest.raises(IntegrityError, match="missing"):
        svc.read_file(target, "b.txt")


def test_escaping_paths_are_refused(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws)
    snap = svc.snapshot()
    for bad in ["../x", "/etc/passwd", "a/../../x"]:
        with pytest.raises(UnsafePathError):
            svc.read_file(snap, bad)


def test_outward_symlinked_dir_is_recorded_as_a_link_and_replaced_by_restore(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not track")
    ws = make_workspace({"out/f.txt": "mine"})
    svc = make_service(ws)
    target = svc.snapshot()
    (ws / "out" / "f.txt").unlink()
    (ws / "out").rmdir()
    (ws / "out").symlink_to(outside)
    snap = svc.snapshot()
    assert sorted(svc.files(snap)) == ["out"]  # the link, never what it points to
    assert svc.files(snap)["out"].kind == "symlink"
    svc.restore(target)
    assert not (ws / "out").is_symlink()
    assert (ws / "out" / "f.txt").read_text() == "mine"
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_restore_never_writes_through_an_untracked_outward_symlink(
    make_workspace: MakeWs, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    ws = make_workspace({"out/f.txt": "mine", "a.txt": "a"})
    data = ws / ".wtb"
    with SqliteFileTrackingService(ws, data, FileTrackingConfig()) as svc:
        target = svc.snapshot()
        svc.pin("target", target)
    (ws / "out" / "f.txt").unlink()
    (ws / "out").rmdir()
    (ws / "out").symlink_to(outside)  # "out" is ignored below, so restore must not replace it
    with (
        SqliteFileTrackingService(ws, data, FileTrackingConfig(ignore=["out"])) as svc,
        pytest.raises(UnsafePathError, match="symlink"),
    ):
        svc.restore(target)
    assert os.listdir(outside) == []
    assert (ws / "out").is_symlink()


def test_restore_updates_the_stat_index(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "one"})
    svc = make_service(ws, watch=False)
    target = svc.snapshot()
    (ws / "a.txt").write_text("two")
    svc.snapshot()
    svc.restore(target)
    st = os.lstat(ws / "a.txt")
    record = svc._index.get("a.txt")
    assert record is not None
    assert (record.hash, record.inode, record.mtime_ns) == (hash_bytes(b"one"), st.st_ino, st.st_mtime_ns)
    svc.close()  # the records of restored files are written with the next transaction, or at close
    reopened = make_service(ws, watch=False)
    assert reopened._index.load("a.txt")["a.txt"] == record


def test_after_a_restore_the_next_snapshot_is_the_restored_one_without_rescanning(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({f"d{i}/f.txt": f"v1 {i}" for i in range(5)})
    svc = make_service(ws, start=True)
    target = svc.snapshot()
    write_files(ws, {f"d{i}/f.txt": f"v2 {i}" for i in range(5)} | {"new/n.txt": "n"})
    svc.snapshot()
    svc.restore(target)
    assert tree_of(ws) == {f"d{i}/f.txt": f"v1 {i}".encode() for i in range(5)}
    assert svc.snapshot() == target
    assert svc.last_mode == "unchanged"  # the restore's own writes were checked and settled


def test_a_write_made_during_a_restore_is_in_the_next_snapshot(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"a.txt": "a1", "b.txt": "b1", "c.txt": "c1"})
    svc = make_service(ws, start=True)
    target = svc.snapshot()
    write_files(ws, {"a.txt": "a2", "b.txt": "b2"})
    svc.snapshot()

    def meddle(path: str) -> None:
        # Someone else writes while the restore runs: over a file just restored (same
        # size, same clock tick: only its content differs), over another by renaming a
        # file onto it (the only event is a rename, as for the restore's own writes),
        # and a file the restore did not touch.
        if path == "a.txt":
            (ws / "a.txt").write_text("zz")
            (ws / "c.txt").write_text("c3")
        if path == "b.txt":
            (ws / "elsewhere.tmp").write_text("b9")
            os.replace(ws / "elsewhere.tmp", ws / "b.txt")

    svc.restore(target, on_file=meddle)
    after = svc.snapshot()
    assert after != target
    assert svc.read_file(after, "a.txt") == b"zz"
    assert svc.read_file(after, "b.txt") == b"b9"
    assert svc.read_file(after, "c.txt") == b"c3"
    assert "elsewhere.tmp" not in svc.files(after)


@pytest.mark.parametrize("watch", [True, False])
def test_restore_plans_against_the_snapshot_just_taken_and_keeps_later_writes(
    make_workspace: MakeWs, make_service: MakeSvc, watch: bool
) -> None:
    ws = make_workspace({"a.txt": "a1", "b.txt": "b1"})
    svc = make_service(ws, start=True, watch=watch)
    target = svc.snapshot()
    write_files(ws, {"a.txt": "a2"})
    undo = svc.snapshot()  # a rollback's undo point
    write_files(ws, {"b.txt": "b2, written after the undo point"})
    plan = svc.restore(target, current=undo)
    assert plan.writes == ["a.txt"]  # the plan is the diff from the undo point
    assert (ws / "a.txt").read_text() == "a1"
    after = svc.snapshot()  # the later write is not lost: it is in the next snapshot
    assert svc.read_file(after, "b.txt") == b"b2, written after the undo point"


def test_restore_given_an_older_snapshot_as_current_takes_a_new_one(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"a.txt": "a1", "b.txt": "b1"})
    svc = make_service(ws, start=True)
    target = svc.snapshot()
    write_files(ws, {"a.txt": "a2"})
    stale = svc.snapshot()
    write_files(ws, {"b.txt": "b2"})
    svc.snapshot()
    plan = svc.restore(target, current=stale)
    assert plan.writes == ["a.txt", "b.txt"]
    assert tree_of(ws) == {"a.txt": b"a1", "b.txt": b"b1"}


def test_a_failed_restore_leaves_every_path_it_wrote_to_the_next_snapshot(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"a.txt": "a1", "b.txt": "b1"})
    svc = make_service(ws, start=True)
    target = svc.snapshot()
    write_files(ws, {"a.txt": "a2", "b.txt": "b2"})
    svc.snapshot()

    def fail_after_first(path: str) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        svc.restore(target, on_file=fail_after_first)
    half = svc.snapshot()
    assert {svc.read_file(half, "a.txt"), svc.read_file(half, "b.txt")} == {b"a1", b"b2"}
    assert tree_of(ws) == {"a.txt": b"a1", "b.txt": b"b2"}


def folders_of(root: Path) -> set[str]:
    """Every directory below root (but WTB's own), as relative paths."""
    return {
        os.path.relpath(os.path.join(folder, name), root)
        for folder, names, _ in os.walk(root)
        for name in names
        if not os.path.relpath(os.path.join(folder, name), root).startswith(".wtb")
    }


@pytest.mark.parametrize("watch", [True, False])
def test_an_empty_folder_is_part_of_a_snapshot_and_comes_back_with_it(
    make_workspace: MakeWs, make_service: MakeSvc, watch: bool
) -> None:
    """A folder made for later writes, still empty at the snapshot, is there again after a
    restore that removed what was written into it since; empty folders made later are
    removed, but one holding ignored things stays as it is."""
    ws = make_workspace({"keep.txt": "k"})
    (ws / "out" / "deep").mkdir(parents=True)
    svc = make_service(ws, watch=watch, start=watch, ignore=["*.log"])
    target = svc.snapshot()
    assert svc.files(target).keys() == {"keep.txt"}  # a folder is no file
    write_files(ws, {"out/deep/report.txt": "r", "logs/run.log": "ignored"})
    (ws / "later" / "inner").mkdir(parents=True)
    assert svc.changes(target, svc.snapshot()) == {"out/deep/report.txt": hash_bytes(b"r")}
    plan = svc.restore(target)
    assert plan.deletes == ["out/deep/report.txt"]
    assert plan.made_dirs == ["out/deep"] and plan.removed_dirs == ["later/inner"]
    assert folders_of(ws) == {"out", "out/deep", "logs"}
    assert (ws / "logs" / "run.log").read_text() == "ignored"
    assert svc.snapshot() == target
    assert svc.plan_restore(target) == type(plan)()


def test_a_file_and_an_empty_folder_of_the_same_name_replace_each_other(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"item": "a file"})
    svc = make_service(ws, start=True)
    as_file = svc.snapshot()
    (ws / "item").unlink()
    (ws / "item").mkdir()
    as_folder = svc.snapshot()
    assert as_folder != as_file
    assert svc.changes(as_file, as_folder) == {"item": None}
    svc.restore(as_file)
    assert (ws / "item").read_text() == "a file"
    svc.restore(as_folder)
    assert (ws / "item").is_dir() and not any((ws / "item").iterdir())
    assert svc.snapshot() == as_folder


def test_an_empty_folder_the_snapshot_lacks_but_a_file_is_written_into_meanwhile_stays(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    """The plan said "remove the empty folder"; by then it holds an untracked file, which a
    restore never takes: the folder stays, with the file."""
    ws = make_workspace({"keep.txt": "k"})
    svc = make_service(ws)
    target = svc.snapshot()
    (ws / "made").mkdir()
    current = svc.snapshot()
    write_files(ws, {"made/new.txt": "n"})
    svc.restore(target, current=current)
    assert (ws / "made" / "new.txt").read_text() == "n"
