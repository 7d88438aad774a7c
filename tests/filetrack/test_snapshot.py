"""Snapshots: Merkle trees shared between snapshots, exact changes, dedup, odd files."""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.filetrack.conftest import write_files
from wtb.filetrack import SqliteFileTrackingService
from wtb.filetrack.errors import NotFoundError
from wtb.filetrack.hashing import hash_bytes
from wtb.filetrack.objects import EMPTY_TREE

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]


def tree_rows(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / ".filetrack" / "filetrack.db") as conn:
        count: int = conn.execute("SELECT COUNT(*) FROM trees").fetchone()[0]
    return count


def test_dedup_example_three_executions_two_contents(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    """The original design's example: equal outputs of different executions share one blob."""
    ws = make_workspace()
    svc = make_service(ws)
    for i, content in enumerate(["answer: 42\n", "answer: 41\n", "answer: 42\n"]):
        (ws / "result.txt").write_text(content)
        snap = svc.snapshot()
        svc.link_checkpoint(f"cp{i}", f"exec{i}", snap, {"result.txt": hash_bytes(content.encode())})
    stats = svc.stats()
    assert stats.blobs == 2
    assert stats.bytes_stored == 22
    assert stats.bytes_referenced == 22  # two distinct snapshots (exec0 and exec2 share one)
    assert stats.snapshots == 2
    assert svc.checkpoint_snapshot("cp0") == svc.checkpoint_snapshot("cp2")


@pytest.mark.parametrize("watch", [True, False])
def test_one_change_writes_only_the_trees_on_its_path(
    make_workspace: MakeWs, make_service: MakeSvc, watch: bool
) -> None:
    files = {f"d{i}/e{j}/f{k}.txt": f"{i}{j}{k}" for i in range(3) for j in range(3) for k in range(3)}
    files["a/b/c/deep.txt"] = "deep"
    ws = make_workspace(files)
    svc = make_service(ws, watch=watch, start=True)
    first = svc.snapshot()
    before = tree_rows(ws / ".wtb")
    (ws / "a/b/c/deep.txt").write_text("changed")
    second = svc.snapshot()
    assert svc.last_mode == ("incremental" if watch else "full")
    assert tree_rows(ws / ".wtb") - before == 4  # c, b, a and the root: O(depth)
    old_root, new_root = svc._trees.get(first), svc._trees.get(second)
    assert {n for n in old_root if old_root[n] == new_root[n]} == {"d0", "d1", "d2"}
    assert svc.changes(first, second) == {"a/b/c/deep.txt": hash_bytes(b"changed")}


def test_changes_are_exact(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"keep.txt": "k", "mod.txt": "m1", "del.txt": "d", "old.txt": "o", "dir/a.txt": "a"})
    svc = make_service(ws)
    s0 = svc.snapshot()
    assert svc.changes(None, s0) == {p: hash_bytes(c.encode()) for p, c in
                                     {"keep.txt": "k", "mod.txt": "m1", "del.txt": "d", "old.txt": "o",
                                      "dir/a.txt": "a"}.items()}
    (ws / "new.txt").write_text("n")
    (ws / "mod.txt").write_text("m2")
    (ws / "del.txt").unlink()
    (ws / "old.txt").rename(ws / "renamed.txt")
    (ws / "dir").rename(ws / "moved")
    s1 = svc.snapshot()
    assert svc.changes(s0, s1) == {
        "new.txt": hash_bytes(b"n"),
        "mod.txt": hash_bytes(b"m2"),
        "del.txt": None,
        "old.txt": None,
        "renamed.txt": hash_bytes(b"o"),
        "dir/a.txt": None,
        "moved/a.txt": hash_bytes(b"a"),
    }
    assert svc.changes(s1, s1) == {}


def test_file_replaced_by_directory_and_back(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"x": "file"})
    svc = make_service(ws)
    s0 = svc.snapshot()
    (ws / "x").unlink()
    write_files(ws, {"x/inner.txt": "i"})
    s1 = svc.snapshot()
    assert svc.changes(s0, s1) == {"x": None, "x/inner.txt": hash_bytes(b"i")}
    assert svc.changes(s1, s0) == {"x": hash_bytes(b"file"), "x/inner.txt": None}


def test_identical_workspaces_have_the_same_snapshot_id(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    files = {"a.txt": "a", "sub/b.bin": b"\x00\x01"}
    one = make_service(make_workspace(files), tmp_path / "data1").snapshot()
    two = make_service(make_workspace(files), tmp_path / "data2").snapshot()
    assert one == two
    assert make_service(make_workspace({}), tmp_path / "data3").snapshot() == EMPTY_TREE


def test_ignored_files_and_size_limit(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({
        ".gitignore": "*.log\n",
        ".wtbignore": "!keep.log\nprivate/\n",
        "app.log": "x", "keep.log": "k", "private/key": "secret", "node_modules/m.js": "m",
        ".venv/lib.py": "v", "state/db": "d", "big.bin": b"b" * 3000, "small.txt": "s",
    })
    svc = make_service(ws, ws / "state", max_file_size="2KB")
    files = svc.files(svc.snapshot())
    assert sorted(files) == [".gitignore", ".wtbignore", "big.bin", "keep.log", "small.txt"]
    big = files["big.bin"]
    assert (big.kind, big.hash, big.size) == ("skipped", None, 3000)
    assert svc.changes(None, svc.snapshot())["big.bin"] == "skipped:3000"
    with pytest.raises(NotFoundError, match="size limit"):
        svc.read_file(svc.snapshot(), "big.bin")
    assert not (ws / ".wtb").exists()  # a custom data dir is used instead of the default


def test_binary_symlink_mode_and_non_utf8_name(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    odd = os.fsdecode(b"caf\xe9-\xff.bin")
    binary = bytes(range(256)) * 64
    ws = make_workspace({odd: binary, "run.sh": "#!/bin/sh\n"})
    (ws / "run.sh").chmod(0o755)
    (ws / "link").symlink_to("run.sh")
    svc = make_service(ws)
    snap = svc.snapshot()
    files = svc.files(snap)
    assert files[odd].hash == hash_bytes(binary)
    assert files["run.sh"].mode == 0o755
    assert (files["link"].kind, files["link"].target, files["link"].hash) == ("symlink", "run.sh", None)
    assert svc.read_file(snap, odd) == binary
    assert svc.read_file(snap, "link") == b"run.sh"
    assert svc.changes(None, snap)["link"] == "link:run.sh"
    (ws / "run.sh").chmod(0o644)
    assert svc.changes(snap, svc.snapshot()) == {"run.sh": hash_bytes(b"#!/bin/sh\n")}


def test_unchanged_files_are_not_read_again(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({f"f{i}.txt": str(i) for i in range(20)})
    time.sleep(0.1)  # older than the racy window when indexed, so the index is trusted
    svc = make_service(ws)
    svc.snapshot()
    from wtb.filetrack.scan import Scanner

    result = Scanner(svc.workspace, svc._make_rules(), svc._index, svc._blobs, svc._trees).full()
    assert result.hashed == 0


def test_same_size_rewrite_right_after_snapshot_is_seen(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    """Racy-git: a rewrite within the file system's clock tick keeps size and maybe mtime."""
    ws = make_workspace({"f.txt": "aaaa"})
    svc = make_service(ws, watch=False)
    first = svc.snapshot()
    (ws / "f.txt").write_text("bbbb")
    second = svc.snapshot()
    assert svc.changes(first, second) == {"f.txt": hash_bytes(b"bbbb")}


def test_disabled_tracking_is_a_cheap_no_op(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws, enabled=False, start=True)
    assert not svc._watcher.running
    snap = svc.snapshot()
    assert snap == EMPTY_TREE
    assert svc.files(snap) == {}
    svc.link_checkpoint("cp", "ex", snap, {})
    assert svc.checkpoint_snapshot("cp") == EMPTY_TREE
    assert svc.restore(snap).writes == []
    assert (ws / "a.txt").read_text() == "a"


def test_unknown_snapshots_and_paths(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "a", "d/b.txt": "b"})
    svc = make_service(ws)
    snap = svc.snapshot()
    with pytest.raises(NotFoundError):
        svc.files("0" * 64)
    with pytest.raises(NotFoundError):
        svc.read_file(snap, "missing.txt")
    with pytest.raises(NotFoundError):
        svc.read_file(snap, "d")
    with pytest.raises(NotFoundError):
        svc.link_checkpoint("cp", "ex", "f" * 64, {})


def test_checkpoint_links(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws)
    s0 = svc.snapshot()
    (ws / "b.txt").write_text("b")
    s1 = svc.snapshot()
    odd = os.fsdecode(b"\xff.txt")
    svc.link_checkpoint("c0", "ex", s0, {})
    svc.link_checkpoint("c1", "ex", s1, {"b.txt": hash_bytes(b"b"), odd: None})
    svc.link_checkpoint("other", "ex2", s1, {})
    assert svc.checkpoint_links("ex") == {"c0": (s0, {}), "c1": (s1, {"b.txt": hash_bytes(b"b"), odd: None})}
    assert svc.checkpoint_output_files("c1") == {"b.txt": hash_bytes(b"b"), odd: None}
    assert svc.checkpoint_snapshot("nope") is None
    assert svc.checkpoint_output_files("nope") == {}
    svc.delete_execution("ex")
    assert svc.checkpoint_links("ex") == {}
    assert svc.checkpoint_snapshot("other") == s1


def test_close_is_idempotent_and_a_context_manager(make_workspace: MakeWs) -> None:
    ws = make_workspace({"a.txt": "a"})
    from wtb.config import FileTrackingConfig

    with SqliteFileTrackingService(ws, ws / ".wtb", FileTrackingConfig()) as svc:
        svc.start()
        assert svc._watcher.running
        svc.snapshot()
    assert not svc._watcher.running
    svc.close()


def test_config_paths_and_nested_ignore_files(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({
        "src/app/main.py": "m", "src/app/.gitignore": "*.tmp\n", "src/app/x.tmp": "t", "src/other.py": "o",
        "notes.md": "n", "readme.md": "r",
    })
    svc = make_service(ws, paths=["src/app", "notes.md"])
    assert sorted(svc.files(svc.snapshot())) == ["notes.md", "src/app/.gitignore", "src/app/main.py"]


def test_trees_written_with_hex_hashes_still_read(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    """Trees stored before hashes were kept as raw bytes decode to the same entries."""
    import msgpack

    from wtb.filetrack.errors import IntegrityError
    from wtb.filetrack.objects import FILE, decode_tree, encode_tree

    digest = hash_bytes(b"x")
    old_body = msgpack.packb([[b"x.txt", FILE, digest, 1, 0o644, None, 1]], use_bin_type=True)
    new_body = encode_tree(decode_tree(old_body))
    assert decode_tree(new_body) == decode_tree(old_body)
    assert len(new_body) < len(old_body) - 30
    short = msgpack.packb([[b"x.txt", FILE, bytes.fromhex(digest)[:16], 1, 0o644, None, 1]], use_bin_type=True)
    with pytest.raises(IntegrityError, match="16-byte hash"):
        decode_tree(short)


def test_a_schema_1_data_dir_keeps_its_snapshots(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    """Opening a data directory written by the first schema moves its trees, losing none."""
    ws = make_workspace({"a.txt": "a", "sub/b.txt": "b"})
    svc = make_service(ws)
    snap = svc.snapshot()
    svc.close()
    db = ws / ".wtb" / ".filetrack" / "filetrack.db"
    with sqlite3.connect(db) as conn:  # rebuild the trees table as schema 1 had it
        conn.execute("ALTER TABLE trees RENAME TO t")
        conn.execute("CREATE TABLE trees (hash TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID")
        conn.execute("INSERT INTO trees SELECT hash, body FROM t")
        conn.execute("DROP TABLE t")
        conn.execute("CREATE INDEX checkpoints_by_snapshot ON checkpoints(snapshot)")  # schema 1 and 2 had it
        conn.execute("PRAGMA user_version = 1")
    reopened = make_service(ws)
    assert reopened.read_file(snap, "sub/b.txt") == b"b"
    assert reopened.snapshot() == snap
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'stops'").fetchone()
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'trees'").fetchone()[0]
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'checkpoints_by_snapshot'").fetchone()
    assert "WITHOUT ROWID" not in sql


def test_a_changed_file_taking_stored_content_reuses_its_blob(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    """A changed file's new content is written without probing; equal content stays one blob."""
    ws = make_workspace({"a.txt": "same", "b.txt": "other"})
    svc = make_service(ws, start=True)
    svc.snapshot()
    before = svc.stats().blobs
    (ws / "b.txt").write_text("same")  # now equal to a.txt, whose blob exists
    snap = svc.snapshot()
    assert svc.stats().blobs == before
    assert svc.read_file(snap, "b.txt") == b"same"
    blob = svc._blobs.path(hash_bytes(b"same"))
    assert oct(blob.stat().st_mode & 0o777) == oct(0o444)


@pytest.mark.parametrize("watch", [True, False])
def test_snapshot_for_a_checkpoint_links_it_with_its_output_files(
    make_workspace: MakeWs, make_service: MakeSvc, watch: bool
) -> None:
    ws = make_workspace({"a.txt": "a", "b.txt": "b"})
    svc = make_service(ws, watch=watch, start=True)
    s0, out0 = svc.snapshot_for("c0", "ex", None)
    assert out0 == {}
    (ws / "a.txt").write_text("a2")
    (ws / "b.txt").unlink()
    (ws / "new" / "n.txt").parent.mkdir()
    (ws / "new" / "n.txt").write_text("n")
    s1, out1 = svc.snapshot_for("c1", "ex", s0)
    assert out1 == {"a.txt": hash_bytes(b"a2"), "b.txt": None, "new/n.txt": hash_bytes(b"n")}
    s2, out2 = svc.snapshot_for("c2", "ex", s1)  # nothing changed: the link is written alone
    assert (s2, out2) == (s1, {})
    assert svc.checkpoint_links("ex") == {"c0": (s0, {}), "c1": (s1, out1), "c2": (s1, {})}
    assert svc.changes(s0, s1) == out1


def test_snapshots_taken_without_links_are_linked_later_in_one_call(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws, start=True)
    s0, _ = svc.snapshot_for("c0", "ex", None, link=False)
    (ws / "a.txt").write_text("a2")
    s1, out1 = svc.snapshot_for("c1", "ex", s0, link=False)  # a changed workspace: its snapshot is committed
    assert out1 == {"a.txt": hash_bytes(b"a2")}
    assert svc.checkpoint_links("ex") == {} and svc.checkpoint_snapshot("c1") is None
    with pytest.raises(NotFoundError):  # one unknown snapshot: nothing of the call is written
        svc.link_checkpoints("ex", {"c0": (s0, {}), "c1": (s1, out1), "c2": ("f" * 64, {})})
    assert svc.checkpoint_links("ex") == {}
    svc.link_checkpoints("ex", {"c0": (s0, {}), "c1": (s1, out1)})
    assert svc.checkpoint_links("ex") == {"c0": (s0, {}), "c1": (s1, out1)}
    assert svc.read_file(svc.checkpoint_snapshot("c0") or "", "a.txt") == b"a"


def test_snapshot_for_after_an_unknown_snapshot_links_nothing(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws, start=True)
    svc.snapshot()
    with pytest.raises(NotFoundError):
        svc.snapshot_for("c1", "ex", "f" * 64)
    (ws / "a.txt").write_text("a2")
    with pytest.raises(NotFoundError):
        svc.snapshot_for("c2", "ex", "f" * 64)
    assert svc.checkpoint_links("ex") == {}
    assert svc.read_file(svc.snapshot(), "a.txt") == b"a2"  # the failed call lost no change


def test_identical_rewrites_cost_no_transaction_and_their_stats_are_kept(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"out/a.txt": "same", "b.txt": "b"})
    svc = make_service(ws, start=True)
    s0 = svc.snapshot()
    db = ws / ".wtb" / ".filetrack" / "filetrack.db"

    def stored_mtime() -> int:
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT mtime_ns FROM stat_index WHERE path = ?", (b"out/a.txt",)).fetchone()
        return int(row[0])

    before = stored_mtime()
    time.sleep(0.01)
    (ws / "out" / "a.txt").write_text("same")  # a node that writes the same output again
    assert svc.snapshot() == s0
    assert svc.last_mode == "rewritten"
    assert stored_mtime() == before  # not written yet: it is only a cache
    (ws / "b.txt").write_text("b2")  # the next real change writes it along
    s2 = svc.snapshot()
    assert s2 != s0 and svc.last_mode == "incremental"
    assert stored_mtime() == (ws / "out" / "a.txt").stat().st_mtime_ns
    (ws / "out" / "a.txt").write_text("same")
    assert svc.snapshot() == s2
    svc.close()  # and so does closing
    assert stored_mtime() == (ws / "out" / "a.txt").stat().st_mtime_ns


def test_a_walk_keeps_the_unchanged_trees_of_the_last_snapshot(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    ws = make_workspace({f"d{i}/e{j}/f.txt": f"{i}.{j}" for i in range(3) for j in range(3)})
    svc = make_service(ws, watch=False)
    svc.snapshot()
    trees_before = tree_rows(ws / ".wtb")
    (ws / "d1" / "e2" / "f.txt").write_text("changed")
    (ws / "d2" / "e0").rename(ws / "d2" / "e9")
    (ws / "d0" / "e1" / "f.txt").chmod(0o600)  # same bytes, another mode: another tree
    walked = svc.snapshot()
    assert svc.last_mode == "full"
    # New trees: d0/e1, d0, d1/e2, d1, d2 and the root (d2/e9 has e0's content: its tree exists).
    assert tree_rows(ws / ".wtb") - trees_before == 6
    assert svc.files(walked)["d0/e1/f.txt"].mode == 0o600
    fresh = make_service(ws, tmp_path / "fresh-data", watch=False)
    assert fresh.snapshot() == walked  # the same snapshot as a walk from nothing


def test_updates_that_add_names_seal_the_same_trees_as_a_walk(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    """An update re-seals a directory from the rows of its last tree, in name order: names
    added before, between and after the ones there (and then only changed or removed)
    give byte for byte the trees a walk from nothing gives."""
    ws = make_workspace({"d/m.txt": "m", "d/n.txt": "n", "top.txt": "t"})
    svc = make_service(ws, start=True)
    svc.snapshot()
    steps = [
        lambda: [(ws / "d" / name).write_text(name) for name in ("z.txt", "a.txt", "m2.txt")],
        lambda: (ws / "d" / "n.txt").write_text("n2"),
        lambda: [(ws / "d" / "a.txt").unlink(), (ws / "d" / "B.txt").write_text("B"), (ws / "0.txt").write_text("0")],
        lambda: (ws / "d" / "z.txt").write_text("z2"),
    ]
    for number, step in enumerate(steps):
        step()
        updated = svc.snapshot()
        assert svc.last_mode == "incremental"
        fresh = make_service(ws, tmp_path / f"fresh-{number}", watch=False)
        assert fresh.snapshot() == updated, number


def test_files_changed_to_one_content_share_a_blob_that_is_written_once(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({f"f{i}.txt": f"old {i}" for i in range(5)})
    svc = make_service(ws, start=True)
    svc.snapshot()
    for i in range(5):
        (ws / f"f{i}.txt").write_text("the same new text")
    snap = svc.snapshot()
    blob = svc._blobs.path(hash_bytes(b"the same new text"))
    inode = blob.stat().st_ino
    assert {svc.read_file(snap, f"f{i}.txt") for i in range(5)} == {b"the same new text"}
    (ws / "f0.txt").write_text("other")
    svc.snapshot()
    (ws / "f0.txt").write_text("the same new text")  # edited back: its blob is found, not copied again
    svc.snapshot()
    assert blob.stat().st_ino == inode


def test_a_diff_between_a_tree_and_its_predecessor_compares_only_the_names_the_update_examined(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    from wtb.filetrack.trees import diff

    ws = make_workspace({f"d{i}/f{j}.txt": f"{i} {j}" for i in range(4) for j in range(20)} | {"top.txt": "t"})
    svc = make_service(ws, start=True)
    snapshots = [svc.snapshot()]
    edits: list[Callable[[], object]] = [
        lambda: write_files(ws, {"d0/f1.txt": "changed", "d2/new.txt": "added"}),
        lambda: (ws / "d1/f3.txt").unlink(),
        lambda: write_files(ws, {"d9/deep/er/x.txt": "a new tree", "top.txt": "t2"}),
        lambda: [p.unlink() for p in (ws / "d3").iterdir()],  # a whole directory goes
        lambda: write_files(ws, {"d0/f1.txt": "0 1"}),  # back to what it was
    ]
    for edit in edits:
        edit()
        snapshots.append(svc.snapshot())
    get, names = svc._trees.get, svc._trees.changed_names
    for a, b in itertools.pairwise(snapshots):
        assert names(a, b) is not None and names(b, a) is not None  # each was sealed from the one before
        assert diff(get, a, b, names=names) == diff(get, a, b)
        assert diff(get, b, a, names=names) == diff(get, b, a)
    assert names(snapshots[0], snapshots[2]) is None  # two steps apart: the whole directories are compared
    assert sorted(diff(get, snapshots[0], snapshots[1], names=names)) == ["d0/f1.txt", "d2/new.txt"]


def test_a_workspace_back_at_an_earlier_snapshot_commits_nothing_new(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    """A loop that rewrites its draft, a re-run, a rollback: the root exists, so only the link is written."""
    ws = make_workspace({"draft.md": "v1"})
    svc = make_service(ws, start=True)
    db = ws / ".wtb" / ".filetrack" / "filetrack.db"

    def touched(root: str) -> float:
        with sqlite3.connect(db) as conn:
            return float(conn.execute("SELECT touched_at FROM snapshots WHERE root = ?", (root,)).fetchone()[0])

    first, _ = svc.snapshot_for("cp0", "ex", None)
    before = touched(first)
    (ws / "draft.md").write_text("v2")
    second, _ = svc.snapshot_for("cp1", "ex", first)
    time.sleep(0.01)
    (ws / "draft.md").write_text("v1")
    again, outputs = svc.snapshot_for("cp2", "ex", second)
    assert again == first and svc.last_mode == "incremental"
    assert outputs == {"draft.md": hash_bytes(b"v1")}
    assert touched(first) == before  # no snapshot transaction: the row was young already
    assert svc.checkpoint_links("ex")["cp2"] == (first, outputs)
    svc.gc()  # within the grace period nothing linked or young goes
    (ws / "draft.md").write_text("v3")
    svc.restore(first)
    assert (ws / "draft.md").read_text() == "v1"


def test_an_incremental_snapshot_lists_the_files_a_diff_of_its_trees_lists(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    """An update names its changed files as it finds them (no diff of the trees afterwards);
    for every kind of change they must be what the diff of the two snapshots gives."""
    ws = make_workspace({"a.txt": "a", "d/b.txt": "b", "d/e/c.txt": "c", "gone/x.txt": "x"})
    svc = make_service(ws, start=True)
    changes: list[Callable[[], object]] = [
        lambda: (ws / "a.txt").write_text("a2"),
        lambda: (ws / "a.txt").write_text("a2"),  # the same bytes again
        lambda: (ws / "d" / "e" / "new.txt").write_text("n"),
        lambda: (ws / "d" / "b.txt").unlink(),
        lambda: os.chmod(ws / "a.txt", 0o755),
        lambda: os.symlink("a.txt", ws / "link"),
        lambda: (ws / "empty").mkdir(),
        lambda: [p.unlink() for p in (ws / "gone").iterdir()] and (ws / "gone").rmdir(),
        lambda: (ws / "d" / "e").rename(ws / "moved"),
        lambda: ((ws / "empty").rmdir(), (ws / "empty").write_text("now a file")),
        lambda: ((ws / "a.txt").unlink(), (ws / "a.txt").mkdir(), (ws / "a.txt" / "in.txt").write_text("i")),
        lambda: (ws / "moved" / "c.txt").write_text("c2"),
    ]
    previous, _ = svc.snapshot_for("c0", "ex", None, link=False)
    for i, change in enumerate(changes, start=1):
        change()
        snapshot, outputs = svc.snapshot_for(f"c{i}", "ex", previous, link=False)
        assert svc.last_mode in ("incremental", "rewritten", "unchanged"), (i, svc.last_mode)
        assert outputs == svc.changes(previous, snapshot), i
        previous = snapshot
    assert outputs == {"moved/c.txt": hash_bytes(b"c2")}


def test_a_stat_record_another_process_replaced_never_gives_a_wrong_hash(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    """An incremental snapshot uses its cached stat records without asking whether another
    process changed the index since: a record is trusted only while the file's stat matches it."""
    ws = make_workspace({"a.txt": "one", "b.txt": "b"})
    mine = make_service(ws, start=True)
    mine.snapshot()  # the first one walks: the whole index is cached now
    other = make_service(ws, watch=False)  # another process, its own connection
    for content in ("two", "six", "ten"):  # same size each time: only the other times tell them apart
        (ws / "a.txt").write_text(content)
        other.snapshot()  # the other process indexes the new content first
        snap = mine.snapshot()
        assert mine.last_mode == "incremental"
        assert mine.read_file(snap, "a.txt") == content.encode()


@pytest.mark.parametrize("watch", [True, False])
def test_a_folder_nested_past_python_s_stack_is_left_out_not_a_crash(
    make_workspace: MakeWs, make_service: MakeSvc, watch: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A planted (or runaway) tree 1,100 folders deep: walking it, watching it and comparing its
    trees recurse once a level, and Python's stack ends near 1,000 (a RecursionError in every
    snapshot, so in every run). Folders below MAX_DEPTH levels are not tracked, with one warning."""
    from wtb.filetrack.ignore import MAX_DEPTH

    ws = make_workspace({"top.txt": "t"})
    try:
        _check_the_deep_tree(ws, make_service, watch, caplog, MAX_DEPTH)
    finally:
        _remove_deep(str(ws / "d"))  # pytest's own clean-up (shutil.rmtree) recurses once a level too


def _remove_deep(top: str) -> None:
    """Remove a folder tree bottom-up, without recursion."""
    stack = [top]
    while stack:
        with os.scandir(stack[-1]) as listing:
            entries = list(listing)
        folders = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
        if folders:
            stack.extend(folders)
        else:
            os.rmdir(stack.pop())


def _check_the_deep_tree(
    ws: Path, make_service: MakeSvc, watch: bool, caplog: pytest.LogCaptureFixture, max_depth: int
) -> None:
    folder = os.open(ws, os.O_RDONLY)
    try:
        for depth in range(1, 1101):
            os.mkdir("d", dir_fd=folder)
            inner = os.open("d", os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            folder = inner
            if depth in (max_depth, max_depth + 1, 1100):
                with open(os.open("f.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder), "w") as out:
                    out.write(str(depth))
    finally:
        os.close(folder)
    svc = make_service(ws, watch=watch, start=True)
    snap = svc.snapshot()
    deepest_kept = "/".join(["d"] * max_depth) + "/f.txt"
    assert svc.read_file(snap, deepest_kept) == str(max_depth).encode()
    with pytest.raises(NotFoundError):
        svc.read_file(snap, "/".join(["d"] * (max_depth + 1)) + "/f.txt")
    (ws / "top.txt").write_text("t2")
    again = svc.snapshot()
    assert svc.changes(snap, again) == {"top.txt": hash_bytes(b"t2")}
    assert "more than 256 levels deep are not tracked" in caplog.text
