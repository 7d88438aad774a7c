"""Settling a restore: proving that a path the restore touched holds what the snapshot says.

After a complete restore the restored snapshot becomes the base of the next one (see
``SqliteFileTrackingService._settle``); each dirty path must first be shown to hold the
snapshot's entry. A file the restore wrote itself is proven by its stat (same inode,
size, times and mode as right after the rename); any other path is read back and hashed.
The restore also indexes each file it wrote at once (:func:`recorder`), so the next
snapshot need not read it.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from wtb.filetrack.fdio import read_up_to
from wtb.filetrack.hashing import hash_bytes
from wtb.filetrack.objects import EMPTY_TREE, FILE, SYMLINK, TREE, Entry
from wtb.filetrack.restore import Record
from wtb.filetrack.statindex import IndexDelta, StatRecord
from wtb.filetrack.trees import lookup

READ_LIMIT = 4 << 20  # larger restored files stay dirty rather than be read back


def unchanged(root: Path, rel: str, ours: StatRecord) -> bool:
    """Whether the path is still the very file a restore wrote (same inode, size, times, mode)."""
    try:
        st = os.lstat(os.path.join(root, rel))
    except OSError:
        return False
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode) == (
        ours.inode, ours.size, ours.mtime_ns, ours.ctime_ns, ours.mode
    )


def holds(root: Path, rel: str, entry: Entry | None) -> bool:
    """Whether the workspace path now is exactly ``entry`` (None: nothing tracked there)."""
    path = os.path.join(root, rel)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return entry is None
    except OSError:
        return False
    if entry is not None and entry.kind == TREE and entry.hash == EMPTY_TREE:
        return stat.S_ISDIR(st.st_mode) and not os.listdir(path)  # an empty directory the restore made
    if entry is None or entry.kind not in (FILE, SYMLINK):
        return False  # something where the snapshot has nothing, a directory, a skipped file
    if entry.kind == SYMLINK:
        return stat.S_ISLNK(st.st_mode) and os.readlink(path) == entry.target
    if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o777 != entry.mode or st.st_size != entry.size:
        return False
    if entry.size > READ_LIMIT:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        data = read_up_to(fd, entry.size)
    finally:
        os.close(fd)
    return len(data) == entry.size and hash_bytes(data) == entry.hash


def recorder(delta: IndexDelta) -> Record:
    """Index each restored file at once so the next snapshot need not read it (unless racy)."""

    def record(path: str, st: os.stat_result | None, entry: Entry | None) -> None:
        if st is not None and entry is not None and entry.hash is not None:
            delta.deletes.discard(path)
            delta.puts[path] = StatRecord.of(st, entry.hash, time.time_ns())
        else:
            delta.puts.pop(path, None)
            delta.deletes.add(path)

    return record


def skip(path: str, st: os.stat_result | None, entry: Entry | None) -> None:
    return None


def unsettled(
    root: Path,
    get: Callable[[str], Mapping[str, Entry]],
    snapshot_id: str,
    dirty: set[str],
    written: Mapping[str, StatRecord],
    touched: set[str] | None,
) -> set[str]:
    """The dirty paths not proven to hold the snapshot's entries after a restore.

    A file the restore wrote (``written``: its stat right after the rename) with no event
    on its name but that rename (``touched``: names with any other event; None: unknown)
    is proven by its stat; any other path is read back and hashed (:func:`holds`).
    """
    left = set()
    for path in dirty:
        ours = written.get(path)
        only_renamed = touched is not None and path not in touched
        if ours is not None and only_renamed and unchanged(root, path, ours):
            continue
        if not holds(root, path, lookup(get, snapshot_id, path)):
            left.add(path)
    return left
