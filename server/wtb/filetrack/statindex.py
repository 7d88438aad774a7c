"""The stat index: (size, mtime, ctime, inode, mode) -> content hash, per workspace path.

A file whose stat is unchanged since it was hashed is not read again (dvc's state
cache, git's index). Two cases make an unchanged stat lie, and both are handled:

* *Racy entries* (git's "racy git"): file times come from a coarse clock, so a file
  rewritten with the same size within one clock tick after it was hashed keeps its
  mtime. An entry is trusted only if the file's times are older than the moment it
  was indexed by more than the timestamp granularity; otherwise the file is hashed
  again (and the entry refreshed, so it becomes trustworthy once it ages).
* ctime is compared too: it cannot be set by ``touch``/``cp -p`` and changes on every
  write, rename or chmod.

Every hash in the index names a blob in the store, which is why the GC treats the
index as a root (it holds the current workspace's content).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from wtb.filetrack.db import Database

_FS = sys.getfilesystemencoding()
# Linux stamps files from a clock that ticks every 1-10 ms; 50 ms leaves a margin.
FINE_WINDOW_NS = 50_000_000
# Times with no sub-second part come from a 1-2 s filesystem (FAT, HFS+, some NFS).
COARSE_WINDOW_NS = 2_000_000_000


class StatRecord(NamedTuple):
    """What a file's stat was when its content had ``hash``."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    mode: int
    hash: str
    indexed_ns: int

    @classmethod
    def of(cls, st: os.stat_result, digest: str, indexed_ns: int) -> StatRecord:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode, digest, indexed_ns)

    def matches(self, st: os.stat_result) -> bool:
        """True when ``st`` proves the content is still ``hash`` (same stat, not racy)."""
        if (
            st.st_size != self.size
            or st.st_mtime_ns != self.mtime_ns
            or st.st_ctime_ns != self.ctime_ns
            or st.st_ino != self.inode
            or st.st_mode != self.mode
        ):
            return False
        newest = max(self.mtime_ns, self.ctime_ns)
        window = COARSE_WINDOW_NS if newest % 1_000_000_000 == 0 else FINE_WINDOW_NS
        return newest < self.indexed_ns - window


@dataclass
class IndexDelta:
    """Index changes produced by one scan, applied in the snapshot's transaction."""

    puts: dict[str, StatRecord] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)

    def merge(self, later: IndexDelta) -> None:
        """Add the changes of a later delta (its puts and deletes win)."""
        for path in later.deletes:
            self.puts.pop(path, None)
        self.deletes |= later.deletes
        self.deletes -= later.puts.keys()
        self.puts.update(later.puts)


class StatIndex(Protocol):
    """Where stat records live (SQLite for a workspace, memory for throw-away targets)."""

    def load(self, prefix: str | None) -> dict[str, StatRecord]:
        """Records for one path and everything below it ("" or None: all)."""
        ...

    def get(self, path: str) -> StatRecord | None:
        """The record of one file path."""
        ...

    def apply(self, delta: IndexDelta, cur: sqlite3.Cursor | None) -> None: ...

    def remember(self, delta: IndexDelta) -> None:
        """Apply changes to the cached records only (they are written later)."""
        ...

    def invalidate(self) -> None:
        """Forget cached records (a transaction that carried an ``apply`` rolled back)."""
        ...


class MemoryStatIndex:
    """An index that lives as long as the object; used for restore targets and tests."""

    def __init__(self) -> None:
        self.records: dict[str, StatRecord] = {}

    def load(self, prefix: str | None) -> dict[str, StatRecord]:
        if not prefix:
            return dict(self.records)
        below = prefix + "/"
        return {p: r for p, r in self.records.items() if p == prefix or p.startswith(below)}

    def get(self, path: str) -> StatRecord | None:
        return self.records.get(path)

    def remember(self, delta: IndexDelta) -> None:
        self.apply(delta, None)

    def apply(self, delta: IndexDelta, cur: sqlite3.Cursor | None) -> None:
        for path in delta.deletes:
            self.records.pop(path, None)
        self.records.update(delta.puts)

    def invalidate(self) -> None:
        return None


class SqliteStatIndex:
    """The persistent index of one workspace root in ``filetrack.db``.

    A full walk needs every record; reading 10,000 rows costs more than the walk's
    ``lstat`` calls, so the whole index is cached in memory and reloaded only when
    another connection has committed since (``PRAGMA data_version``). Even a stale
    record would only ever cost a re-hash: a record states a fact about one stat.
    """

    def __init__(self, db: Database, root: str) -> None:
        self._db = db
        self.root_key = os.fsencode(root)
        self._cache: dict[str, StatRecord] | None = None
        self._version = -1
        self._later = IndexDelta()  # changes kept for the next transaction (see later())

    def load(self, prefix: str | None) -> dict[str, StatRecord]:
        if not prefix:
            version = self._db.data_version()
            if self._cache is None or version != self._version:
                self._cache = self._select(None)
                self._version = version
            return dict(self._cache)
        return self._select(prefix)

    def get(self, path: str) -> StatRecord | None:
        """From the cache (as of the last full load), else one row.

        A cached record may be older than another process's for the same path; it is
        used only while the file's stat still matches it (:meth:`StatRecord.matches`),
        and the ctime changes with every write, so an outdated one can only cost a read
        of the file, never a wrong hash. An incremental snapshot therefore does not ask
        SQLite whether the index changed (a statement at every snapshot).
        """
        if self._cache is not None:
            return self._cache.get(path)
        return self._select(path).get(path)

    def invalidate(self) -> None:
        self._cache = None

    def _select(self, prefix: str | None) -> dict[str, StatRecord]:
        sql = "SELECT path, size, mtime_ns, ctime_ns, inode, mode, hash, indexed_ns FROM stat_index WHERE root = ?"
        args: tuple[bytes, ...] = (self.root_key,)
        if prefix:
            key = os.fsencode(prefix)
            # One primary-key range: [key, key + '0') holds key and everything below key/
            # ('/' is 0x2F, '0' is 0x30) plus siblings like "key.txt", filtered out below.
            sql += " AND path >= ? AND path < ?"
            args += (key, key + b"0")
        make = StatRecord._make
        out = {r[0].decode(_FS, "surrogateescape"): make(r[1:]) for r in self._db.all(sql, args)}
        if prefix:
            below = prefix + "/"
            out = {p: r for p, r in out.items() if p == prefix or p.startswith(below)}
        return out

    def apply(self, delta: IndexDelta, cur: sqlite3.Cursor | None) -> None:
        assert cur is not None, "the SQLite index is written inside the caller's transaction"
        cur.executemany(
            "DELETE FROM stat_index WHERE root = ? AND path = ?",
            [(self.root_key, os.fsencode(p)) for p in delta.deletes],
        )
        cur.executemany(
            "INSERT OR REPLACE INTO stat_index (root, path, size, mtime_ns, ctime_ns, inode, mode, hash,"
            " indexed_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_row(self.root_key, p, r) for p, r in delta.puts.items()],
        )
        self.remember(delta)

    def later(self, delta: IndexDelta) -> None:
        """Keep changes for the next transaction instead of writing them now.

        A snapshot that found only rewritten, identical files has its trees and row stored
        already, so the new stats of those files are the only news, and they are a cache:
        they are written with the next :meth:`apply_with_later` or :meth:`flush_later` (at
        a collection or at close; lost in a crash, they cost a re-hash).
        """
        self._later.merge(delta)
        self.remember(delta)

    def apply_with_later(self, delta: IndexDelta, cur: sqlite3.Cursor) -> None:
        """:meth:`apply` the changes kept by :meth:`later`, then ``delta``, in the caller's transaction."""
        merged = IndexDelta(dict(self._later.puts), set(self._later.deletes))
        merged.merge(delta)
        self.apply(merged, cur)
        self._later = IndexDelta()

    def flush_later(self, db: Database) -> None:
        """Write the changes :meth:`later` kept, in a transaction of their own."""
        if not (self._later.puts or self._later.deletes):
            return
        try:
            with db.write() as cur:
                self.apply_with_later(IndexDelta(), cur)
        except BaseException:
            self.invalidate()
            raise

    def remember(self, delta: IndexDelta) -> None:
        if self._cache is not None:
            for path in delta.deletes:
                self._cache.pop(path, None)
            self._cache.update(delta.puts)


def _row(root: bytes, path: str, r: StatRecord) -> tuple[object, ...]:
    return (root, os.fsencode(path), r.size, r.mtime_ns, r.ctime_ns, r.inode, r.mode, r.hash, r.indexed_ns)


def index_hashes(cur: sqlite3.Cursor) -> set[str]:
    """Every hash any index holds (a GC root: the current content of the workspaces)."""
    return {row[0] for row in cur.execute("SELECT DISTINCT hash FROM stat_index")}


def drop_missing_roots(cur: sqlite3.Cursor) -> int:
    """Forget indexes of workspaces that no longer exist (deleted isolated copies)."""
    roots = [bytes(r[0]) for r in cur.execute("SELECT DISTINCT root FROM stat_index")]
    gone = [r for r in roots if not os.path.isdir(r)]
    cur.executemany("DELETE FROM stat_index WHERE root = ?", [(r,) for r in gone])
    return len(gone)

