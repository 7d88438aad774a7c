"""WTB's own inotify reader: the watch map follows directories created, moved and deleted."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from wtb.filetrack.inotify import IN_ISDIR, Inotify, parse_events
from wtb.filetrack.inotify_tree import InotifyTree


class Recorder:
    """A policy that keeps what it is told and prunes folders named ``skip``."""

    def __init__(self, cookie: bytes) -> None:
        self.changes: list[tuple[bytes, bool]] = []
        self.lost: list[str] = []
        self.attribs: list[bytes] = []
        self.cookie = cookie

    def should_watch(self, path: bytes) -> bool:
        return os.path.basename(path) != b"skip"

    def extra_dirs(self) -> list[bytes]:
        return [self.cookie]

    def on_lost_events(self, why: str) -> None:
        self.lost.append(why)

    def on_change(self, path: bytes, is_dir: bool, mask: int) -> None:
        self.changes.append((path, is_dir))

    def on_folder_attrib(self, path: bytes) -> None:
        self.attribs.append(path)

    def take(self) -> set[bytes]:
        paths = {path for path, _ in self.changes}
        self.changes.clear()
        return paths


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Path, InotifyTree, Recorder]]:
    root = tmp_path / "ws"
    (root / "a" / "b").mkdir(parents=True)
    (root / "skip").mkdir()
    cookie = tmp_path / "cookies"
    cookie.mkdir()
    policy = Recorder(os.fsencode(cookie))
    tree = InotifyTree(os.fsencode(root), policy)
    tree.start()
    yield root, tree, policy
    tree.stop()


def b(path: Path) -> bytes:
    return os.fsencode(path)


def under(top: Path, paths: set[bytes]) -> set[bytes]:
    return {p for p in paths if p == b(top) or p.startswith(b(top) + b"/")}


def test_pruned_folders_are_not_watched_and_the_cookie_folder_is(watched: tuple[Path, InotifyTree, Recorder]) -> None:
    root, tree, policy = watched
    assert tree.watched() == {b(root), b(root / "a"), b(root / "a" / "b"), policy.cookie}
    (root / "skip" / "x").write_text("x")
    os.chmod(policy.cookie, 0o755)
    tree.pump()
    assert policy.take() == set()
    assert policy.attribs == [policy.cookie]


def test_a_moved_folder_keeps_its_watches_under_the_new_name(watched: tuple[Path, InotifyTree, Recorder]) -> None:
    root, tree, policy = watched
    (root / "a").rename(root / "c")
    tree.pump()
    assert policy.take() == {b(root / "a"), b(root / "c")}
    (root / "c" / "b" / "f.txt").write_text("f")
    tree.pump()
    assert policy.take() == {b(root / "c" / "b" / "f.txt")}
    assert b(root / "c" / "b") in tree.watched() and b(root / "a" / "b") not in tree.watched()


def test_folders_moving_in_out_and_into_a_pruned_one(
    watched: tuple[Path, InotifyTree, Recorder], tmp_path: Path
) -> None:
    root, tree, policy = watched
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    outside.rename(root / "arrived")
    (root / "a").rename(tmp_path / "gone")
    tree.pump()
    assert {b(root / "arrived"), b(root / "arrived" / "deep")} <= tree.watched()
    assert under(root / "a", tree.watched()) == set()
    (tmp_path / "gone" / "b" / "late.txt").write_text("moved away: not ours")
    (root / "arrived" / "deep" / "new.txt").write_text("ours")
    tree.pump()
    assert policy.take() - {b(root / "arrived"), b(root / "a")} == {b(root / "arrived" / "deep" / "new.txt")}
    (root / "arrived").rename(root / "skip" / "arrived")
    tree.pump()
    assert under(root / "arrived", tree.watched()) == set() == under(root / "skip", tree.watched())


def test_new_nested_folders_are_watched_and_deleted_ones_forgotten(
    watched: tuple[Path, InotifyTree, Recorder],
) -> None:
    root, tree, policy = watched
    (root / "n1" / "n2" / "n3").mkdir(parents=True)
    tree.pump()
    assert b(root / "n1" / "n2" / "n3") in tree.watched()
    shutil.rmtree(root / "n1")
    tree.pump()
    assert under(root / "n1", tree.watched()) == set()
    assert policy.lost == []


def test_a_removed_cookie_folder_is_reported_as_lost_events(watched: tuple[Path, InotifyTree, Recorder]) -> None:
    _, tree, policy = watched
    os.rmdir(policy.cookie)
    tree.pump()
    assert policy.lost and "was removed" in policy.lost[0]


def test_events_parse_with_their_names(tmp_path: Path) -> None:
    inotify = Inotify()
    try:
        wd = inotify.add_watch(b(tmp_path))
        (tmp_path / "a-file.txt").write_text("x")
        (tmp_path / "a-dir").mkdir()
        events = list(parse_events(inotify.read()))
        assert {name for w, _, _, name in events if w == wd} == {b"a-file.txt", b"a-dir"}
        assert any(name == b"a-dir" and mask & IN_ISDIR for _, mask, _, name in events)
        assert inotify.read() == b""  # non-blocking: an empty queue reads as nothing
        with pytest.raises(FileNotFoundError):
            inotify.add_watch(b(tmp_path / "missing"))
    finally:
        inotify.close()
