"""``wtb.db``: one SQLite file in WAL mode, shared by every process on a data dir.

The daemon, run workers and batch drivers open the same file at once; it is opened and
migrated as every WTB database is (:mod:`wtb.sqlite`), its schema's steps numbered in
:data:`MIGRATIONS`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wtb.sqlite import connect, migrate

MIGRATIONS: tuple[str, ...] = (
    # 1: the original design's four tables.
    """
    CREATE TABLE IF NOT EXISTS workflows (
        name TEXT PRIMARY KEY,
        ref TEXT NOT NULL,
        source TEXT NOT NULL,
        registered_at REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS executions (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        status TEXT NOT NULL,
        thread_id TEXT NOT NULL,
        name TEXT,
        parent_id TEXT REFERENCES executions(id),
        parent_checkpoint_id TEXT,
        batch_id TEXT,
        head_checkpoint_id TEXT,
        initial_state BLOB,
        initial_state_type TEXT,
        config TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        created_at REAL NOT NULL,
        finished_at REAL
    );
    CREATE INDEX IF NOT EXISTS executions_by_project ON executions(project, created_at);
    CREATE INDEX IF NOT EXISTS executions_by_parent ON executions(parent_id);
    CREATE TABLE IF NOT EXISTS batch_tests (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        status TEXT NOT NULL,
        variants TEXT NOT NULL,
        result TEXT,
        created_at REAL NOT NULL,
        finished_at REAL
    );
    CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        execution_id TEXT,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        created_at REAL NOT NULL,
        done_at REAL
    );
    CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status);
    """,
    # 2: golden runs for regression checks.
    """
    CREATE TABLE IF NOT EXISTS goldens (
        name TEXT PRIMARY KEY,
        execution_id TEXT NOT NULL,
        project TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    """,
    # 3: which state keys each node call read, for record/replay.
    """
    CREATE TABLE IF NOT EXISTS node_calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT NOT NULL,
        node TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        parent_checkpoint_id TEXT NOT NULL,
        keys TEXT NOT NULL,
        input_hash TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS node_calls_by_node ON node_calls(project, node);
    """,
    # 4: LangGraph's own view of each checkpoint, recorded during the run (store/views.py).
    """
    CREATE TABLE IF NOT EXISTS checkpoint_views (
        checkpoint_id TEXT PRIMARY KEY,
        execution_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        parent_id TEXT,
        step INTEGER NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next TEXT NOT NULL,
        body_type TEXT NOT NULL,
        body BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS checkpoint_views_by_execution ON checkpoint_views(execution_id, checkpoint_id);
    """,
    # 5: a view per execution and checkpoint: a fork that continues inside a subgraph shares
    # its checkpoints (same ids) with the execution it came from, and runs them on its own.
    """
    CREATE TABLE checkpoint_views_by_run (
        checkpoint_id TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        parent_id TEXT,
        step INTEGER NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next TEXT NOT NULL,
        body_type TEXT NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (checkpoint_id, execution_id)
    );
    INSERT INTO checkpoint_views_by_run SELECT checkpoint_id, execution_id, namespace, parent_id, step, source,
        created_at, next, body_type, body FROM checkpoint_views;
    DROP TABLE checkpoint_views;
    ALTER TABLE checkpoint_views_by_run RENAME TO checkpoint_views;
    CREATE INDEX checkpoint_views_by_execution ON checkpoint_views(execution_id, checkpoint_id);
    """,
)


class Database:
    """A thread-safe connection to ``wtb.db`` with the schema migrated on open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = connect(path, rows=True)
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self.transaction() as conn:
            migrate(conn.cursor(), path, MIGRATIONS, start=_legacy_version(conn))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run statements in one immediate transaction (other writers wait, readers don't)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _legacy_version(conn: sqlite3.Connection) -> int | None:
    """The version an older WTB kept in a ``schema_version`` table (now ``PRAGMA user_version``)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone():
        return None
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    conn.execute("DROP TABLE schema_version")
    return int(row[0]) if row else None
