"""``filetrack.db``: trees, snapshots, checkpoint links, pins and the stat index.

SQLite in WAL mode so that the daemon, run workers and batch drivers can all open it
at once: readers never block the writer. ``synchronous=NORMAL`` is safe against
application crashes under WAL (a power loss may drop the last commits, never corrupt
the file) and makes a commit ~6x cheaper (see FACTS). Each process has its own
connection; inside a process one lock serialises threads on it.

Paths are stored as BLOBs (``os.fsencode``) because a file name need not be UTF-8 and
SQLite's TEXT must be.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wtb.sqlite import WalCheckpoints, connect, migrate, retry_locked

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trees (
    hash TEXT PRIMARY KEY,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    root TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    touched_at REAL NOT NULL,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    checkpoint_id TEXT PRIMARY KEY,
    execution_id TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    output_files BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS checkpoints_by_execution ON checkpoints(execution_id);
CREATE TABLE IF NOT EXISTS pins (
    name TEXT PRIMARY KEY,
    snapshot TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stat_index (
    root BLOB NOT NULL,
    path BLOB NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    mode INTEGER NOT NULL,
    hash TEXT NOT NULL,
    indexed_ns INTEGER NOT NULL,
    PRIMARY KEY (root, path)
) WITHOUT ROWID;
"""


class Database:
    """One process's connection to ``filetrack.db`` with locked transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = connect(path)
        self._checkpoints = WalCheckpoints(self._conn, path)  # a run commits here at every checkpoint
        with self.write() as cur:  # several processes may race here, hence a write transaction
            migrate(cur, path, _STEPS)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction (``BEGIN IMMEDIATE``: take the write lock up front, no upgrade deadlock)."""
        with self._lock:
            cur = self._conn.cursor()
            retry_locked(lambda: cur.execute("BEGIN IMMEDIATE"))
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
                self._checkpoints.committed()
            finally:
                cur.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Cursor]:
        """A read transaction: every statement inside sees the same database state."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN")
            try:
                yield cur
            finally:
                cur.execute("COMMIT")
                cur.close()

    def one(self, sql: str, args: tuple[object, ...]) -> tuple[object, ...] | None:
        """One row of one statement; a single statement is atomic without a transaction of its own."""
        with self._lock:
            row: tuple[object, ...] | None = self._conn.execute(sql, args).fetchone()
        return row

    def all(self, sql: str, args: tuple[object, ...]) -> list[tuple[Any, ...]]:
        """Every row of one statement (atomic, as :meth:`one`)."""
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def run(self, sql: str, args: tuple[object, ...]) -> int:
        """One write statement, committed on its own (SQLite makes a lone statement atomic);
        returns the number of rows it changed.

        Cheaper than :meth:`write` for a single row: no BEGIN and COMMIT round trips;
        the write lock is waited for through ``busy_timeout`` like any other.
        """
        with self._lock:
            changed: int = self._conn.execute(sql, args).rowcount
            self._checkpoints.committed()
            return changed

    def data_version(self) -> int:
        """Changes whenever another connection (another process) commits to the file."""
        with self._lock:
            version: int = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return version

    def close(self) -> None:
        with self._lock:
            self._checkpoints.close()
            self._conn.close()


def _trees_with_rowid(cur: sqlite3.Cursor) -> None:
    """Schema 1 -> 2: the trees table becomes an ordinary (rowid) table.

    A tree is a few KB; ``WITHOUT ROWID`` tables keep only ~1 KB of a row in its
    b-tree page (they are made for small rows) and chain the rest through overflow
    pages, so each new tree cost three or four page writes, and a snapshot's commit
    almost twice as much as in a rowid table (measured: docs/filetrack.md).
    """
    cur.execute("ALTER TABLE trees RENAME TO trees_v1")
    cur.execute("CREATE TABLE trees (hash TEXT PRIMARY KEY, body BLOB NOT NULL)")
    cur.execute("INSERT INTO trees (hash, body) SELECT hash, body FROM trees_v1")
    cur.execute("DROP TABLE trees_v1")


def _schema_2(cur: sqlite3.Cursor) -> None:
    """Schema 2 from nothing, or from schema 1 (its trees table moved to a rowid table)."""
    if cur.execute("SELECT 1 FROM sqlite_master WHERE name = 'trees'").fetchone():
        _trees_with_rowid(cur)
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            cur.execute(statement)


#: Version 1 had the trees table WITHOUT ROWID; version 2 is :data:`_SCHEMA`. Version 3 drops
#: the index of checkpoint links by snapshot: no query looks a link up by its snapshot (the
#: collector and the stats read them all), and keeping it cost a quarter of every link's
#: write, which a run pays at every checkpoint (measured: 60 -> 45 us for an unchanged one).
#: Version 4 adds the files a run stopped with (``stops``, see ``SqliteFileTrackingService.link_stop``).
_STEPS = (
    _SCHEMA.replace("body BLOB NOT NULL\n)", "body BLOB NOT NULL\n) WITHOUT ROWID"),
    _schema_2,
    "DROP INDEX IF EXISTS checkpoints_by_snapshot",
    """
    CREATE TABLE IF NOT EXISTS stops (
        checkpoint_id TEXT PRIMARY KEY,
        execution_id TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS stops_by_execution ON stops(execution_id)
    """,
)
