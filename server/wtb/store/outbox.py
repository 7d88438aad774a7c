"""The outbox: a journal of multi-step actions that must finish even after a crash.

A rollback touches two stores (the workspace files and the execution's head). Its intent
is written here *before* the first file changes; the entry is marked done in the same
transaction that moves the head. On the next open of the data dir every pending entry is
replayed (see :mod:`wtb.engine.recovery`), so a crash at any point ends in the target
state, never a mix.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from wtb.store.db import Database


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    execution_id: str | None
    payload: dict[str, Any]


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, kind: str, execution_id: str | None, payload: dict[str, Any]) -> int:
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO outbox (kind, execution_id, payload, created_at) VALUES (?, ?, ?, ?)",
                (kind, execution_id, json.dumps(payload), time.time()),
            )
            return int(cursor.lastrowid or 0)

    def pending(self, kind: str | None = None) -> list[OutboxEntry]:
        sql = "SELECT id, kind, execution_id, payload FROM outbox WHERE status = 'pending'"
        params: tuple[object, ...] = ()
        if kind is not None:
            sql += " AND kind = ?"
            params = (kind,)
        rows = self._db.query(sql + " ORDER BY id", params)
        return [OutboxEntry(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def latest_done(self, kind: str, execution_id: str) -> OutboxEntry | None:
        rows = self._db.query(
            "SELECT id, kind, execution_id, payload FROM outbox WHERE status = 'done' AND kind = ? "
            "AND execution_id = ? ORDER BY id DESC LIMIT 1",
            (kind, execution_id),
        )
        return OutboxEntry(rows[0][0], rows[0][1], rows[0][2], json.loads(rows[0][3])) if rows else None

    def done_targets(self, kind: str, execution_ids: list[str]) -> dict[str, str]:
        """execution id -> ``target_checkpoint`` of its latest done entry of ``kind`` (those with one)."""
        found: dict[str, str] = {}
        for start in range(0, len(execution_ids), 500):  # SQLite's limit on bound parameters
            chunk = execution_ids[start : start + 500]
            rows = self._db.query(
                f"SELECT execution_id, payload FROM outbox WHERE status = 'done' AND kind = ? "
                f"AND execution_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
                (kind, *chunk),
            )
            for execution_id, payload in rows:
                found[str(execution_id)] = str(json.loads(payload).get("target_checkpoint"))
        return found

    def mark(self, entry_id: int, status: str, conn: sqlite3.Connection | None = None) -> None:
        """Close an entry ("done", "undone", "failed"), in the caller's transaction when given."""
        sql = "UPDATE outbox SET status = ?, done_at = ? WHERE id = ?"
        if conn is not None:
            conn.execute(sql, (status, time.time(), entry_id))
            return
        with self._db.transaction() as own:
            own.execute(sql, (status, time.time(), entry_id))
