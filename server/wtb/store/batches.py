"""Batch records in ``wtb.db``'s ``batch_tests`` table.

The table predates this package (it is in the first migration); we keep to its columns:
``variants`` holds the variant specs with the execution id each one got, ``result`` the
finished :class:`~wtb.batch.result.BatchResult` as JSON. The status is also the channel
for a cancel from another process: ``wtb batch-cancel`` sets ``cancelling`` and the
driver, which polls it, stops the running variants.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from wtb.errors import BatchStateError, UnknownBatchError
from wtb.store.db import Database
from wtb.store.executions import ExecutionStore

RUNNING = "running"
CANCELLING = "cancelling"
FINAL = ("completed", "failed", "cancelled")


@dataclass
class BatchRecord:
    """One row of ``batch_tests``."""

    id: str
    project: str
    status: str
    variants: list[dict[str, Any]]
    result: dict[str, Any] | None
    created_at: float
    finished_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


class BatchStore:
    """Reads and writes ``batch_tests``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, batch_id: str, project: str, variants: list[dict[str, Any]]) -> BatchRecord:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO batch_tests (id, project, status, variants, created_at) VALUES (?, ?, ?, ?, ?)",
                (batch_id, project, RUNNING, _dumps(variants), time.time()),
            )
        return self.get(batch_id)

    def finish(self, batch_id: str, status: str, result: dict[str, Any]) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE batch_tests SET status = ?, result = ?, finished_at = ? WHERE id = ?",
                (status, _dumps(result), time.time(), batch_id),
            )

    def request_cancel(self, batch_id: str) -> BatchRecord:
        """Ask the driver running ``batch_id`` (in any process) to stop it."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT status FROM batch_tests WHERE id = ?", (batch_id,)).fetchone()
            if row is None:
                raise UnknownBatchError(f"No batch {batch_id!r} in this data directory; `wtb batches` lists them.")
            if row[0] in FINAL:
                raise BatchStateError(f"Batch {batch_id} is already {row[0]}; there is nothing to cancel.")
            conn.execute("UPDATE batch_tests SET status = ? WHERE id = ?", (CANCELLING, batch_id))
        return self.get(batch_id)

    def status(self, batch_id: str) -> str | None:
        rows = self._db.query("SELECT status FROM batch_tests WHERE id = ?", (batch_id,))
        return str(rows[0][0]) if rows else None

    def get(self, batch_id: str) -> BatchRecord:
        rows = self._db.query(
            "SELECT id, project, status, variants, result, created_at, finished_at FROM batch_tests "
            "WHERE id = ? OR id LIKE ? ORDER BY id LIMIT 2",
            (batch_id, f"{batch_id}%"),
        )
        exact = [row for row in rows if row[0] == batch_id]
        if exact:
            rows = exact
        if not rows:
            raise UnknownBatchError(f"No batch {batch_id!r} in this data directory; `wtb batches` lists them.")
        if len(rows) > 1:
            raise UnknownBatchError(f"Batch id prefix {batch_id!r} is ambiguous; give more characters.")
        return self._record(rows[0])

    def list(self, project: str | None = None, limit: int = 50, offset: int = 0) -> list[BatchRecord]:
        where, params = ("WHERE project = ?", (project,)) if project else ("", ())
        rows = self._db.query(
            "SELECT id, project, status, variants, result, created_at, finished_at FROM batch_tests "
            f"{where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [self._record(row) for row in rows]

    def _record(self, row: Any) -> BatchRecord:
        variants = json.loads(row[3] or "[]")
        record = BatchRecord(
            id=row[0],
            project=row[1],
            status=row[2],
            variants=variants,
            result=json.loads(row[4]) if row[4] else None,
            created_at=row[5],
            finished_at=row[6],
        )
        record.counts = ExecutionStore(self._db).count_by_status(record.id)
        return record


def _dumps(value: Any) -> str:
    from wtb.models import to_jsonable

    return json.dumps(to_jsonable(value), default=repr)
