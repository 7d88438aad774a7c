"""Every WTB database opens and migrates one way (wtb.sqlite); older files keep their data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from wtb.sqlite import SchemaVersionError, connect, migrate
from wtb.store.db import MIGRATIONS, Database


def test_a_wtb_db_of_the_old_version_table_moves_to_user_version(tmp_path: Path) -> None:
    path = tmp_path / "wtb.db"
    old = sqlite3.connect(path)
    for script in MIGRATIONS:
        old.executescript(script)
    old.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    old.execute("INSERT INTO schema_version (version) VALUES (?)", (len(MIGRATIONS),))
    old.execute("INSERT INTO goldens (name, execution_id, project, created_at) VALUES ('g', 'e', 'p', 1.0)")
    old.commit()
    old.close()
    db = Database(path)
    try:
        assert [tuple(r) for r in db.query("SELECT name, execution_id FROM goldens")] == [("g", "e")]
        assert db.query("PRAGMA user_version")[0][0] == len(MIGRATIONS)
        assert not db.query("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'")
    finally:
        db.close()
    Database(path).close()  # and opens again as a current file


def test_views_of_a_version_4_file_become_views_per_execution(tmp_path: Path) -> None:
    """Migration 5 keys a checkpoint's view by execution too, keeping every recorded view."""
    from wtb.store.views import ViewRow, ViewStore

    path = tmp_path / "wtb.db"
    old = sqlite3.connect(path)
    for script in MIGRATIONS[:4]:
        old.executescript(script)
    old.execute("PRAGMA user_version = 4")
    old.execute(
        "INSERT INTO checkpoint_views VALUES ('c1', 'e1', '', NULL, 0, 'loop', 't', '[\"b\"]', 'msgpack', x'80')"
    )
    old.commit()
    old.close()
    db = Database(path)
    try:
        store = ViewStore(db)
        assert store.get("c1") == ViewRow("c1", "e1", "", None, 0, "loop", "t", ["b"], ("msgpack", b"\x80"))
        store.put_many([ViewRow("c1", "e2", "", None, 0, "loop", "t", [], ("msgpack", b"\x81"))])  # a fork's own
        assert store.get("c1", "e2").body[1] == b"\x81" and store.get("c1", "e1").body[1] == b"\x80"
        assert store.get("c1").execution_id == "e1"  # the first recorded, for a reader of no execution
    finally:
        db.close()


def test_a_newer_schema_is_refused_by_name(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    conn.execute("PRAGMA user_version = 9")
    with pytest.raises(SchemaVersionError, match=r"x\.db has schema version 9; this WTB understands up to 2"):
        migrate(conn.cursor(), tmp_path / "x.db", ["CREATE TABLE a (x)", "CREATE TABLE b (y)"])


def test_connections_use_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    conn = connect(tmp_path / "y.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


@pytest.mark.parametrize("every", [50, 10**9])
def test_wal_checkpoints_run_beside_the_writer(tmp_path: Path, every: int) -> None:
    """With SQLite's own checkpoints off, ours copy the WAL into the database file every
    ``every`` commits; without them nothing would (the file would keep its first size)."""
    from wtb.sqlite import WalCheckpoints

    path = tmp_path / "hot.db"
    conn = connect(path)
    checkpoints = WalCheckpoints(conn, path, every=every)
    conn.execute("CREATE TABLE blobs (body BLOB)")
    for _ in range(400):
        conn.execute("INSERT INTO blobs VALUES (randomblob(4000))")
        checkpoints.committed()
    checkpoints.close()
    copied = path.stat().st_size
    assert conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 400
    conn.close()
    if every == 50:  # at least the first 50 commits were copied (a later checkpoint may be skipped
        assert copied > 50 * 4000  # while an earlier one still runs: a busy machine)
    else:
        assert copied < 100_000
