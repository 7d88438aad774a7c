"""Execution records in ``wtb.db``: create, read, list, and move through their life cycle.

The LangGraph thread holds the checkpoints; this table holds what LangGraph does not
know: which workflow ran, its status and error, its lineage (forks), its batch and the
head checkpoint that rollback moves.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from wtb.errors import UnknownExecutionError
from wtb.models import Execution, ExecutionError, ExecutionStatus
from wtb.store.db import Database

_COLUMNS = (
    "id, project, status, thread_id, name, parent_id, parent_checkpoint_id, batch_id, "
    "head_checkpoint_id, config, error, created_at, finished_at, initial_state, initial_state_type"
)
#: Turns a stored input (type, bytes) back into a value: the checkpointer's serializer.
Decode = Callable[[tuple[str, bytes]], Any]


def new_execution_id() -> str:
    """A short id, unique enough for one data dir, that people can type."""
    return uuid.uuid4().hex[:12]


def thread_id_for(execution_id: str) -> str:
    return f"wtb-{execution_id}"


class ExecutionStore:
    """Reads and writes the ``executions`` table."""

    def __init__(self, db: Database, decode: Decode | None = None) -> None:
        """``decode``: how to read a stored input back (records then carry ``initial_state``)."""
        self._db = db
        self._decode = decode

    def create(
        self,
        project: str,
        *,
        initial_state: tuple[str, bytes] | None,
        config: dict[str, Any],
        status: ExecutionStatus = ExecutionStatus.PENDING,
        name: str | None = None,
        parent_id: str | None = None,
        parent_checkpoint_id: str | None = None,
        batch_id: str | None = None,
        execution_id: str | None = None,
    ) -> Execution:
        execution_id = execution_id or new_execution_id()
        state_type, state_blob = initial_state if initial_state else (None, None)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO executions (id, project, status, thread_id, name, parent_id, "
                "parent_checkpoint_id, batch_id, initial_state, initial_state_type, config, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    execution_id,
                    project,
                    status.value,
                    thread_id_for(execution_id),
                    name,
                    parent_id,
                    parent_checkpoint_id,
                    batch_id,
                    state_blob,
                    state_type,
                    json.dumps(config, default=repr),
                    time.time(),
                ),
            )
        return self.get(execution_id)

    def get(self, execution_id: str) -> Execution:
        return _to_execution(self._row(_COLUMNS, execution_id), self._decode)

    def thread_and_head(self, execution_id: str) -> tuple[str, str | None]:
        """The execution's LangGraph thread and head checkpoint: all a read of its state needs
        (:meth:`get` also decodes its input, which can cost more than the read)."""
        row = self._row("thread_id, head_checkpoint_id", execution_id)
        return str(row[0]), row[1]

    def _row(self, columns: str, execution_id: str) -> sqlite3.Row:
        rows = self._db.query(f"SELECT {columns} FROM executions WHERE id = ?", (execution_id,))
        if not rows:
            raise UnknownExecutionError(
                f"No execution {execution_id!r} in this data directory; `wtb executions` lists them."
            )
        return rows[0]

    def exists(self, execution_id: str) -> bool:
        return bool(self._db.query("SELECT 1 FROM executions WHERE id = ?", (execution_id,)))

    def ids_starting_with(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` ids that start with ``prefix``, newest first (a short id's candidates)."""
        rows = self._db.query(
            "SELECT id FROM executions WHERE substr(id, 1, ?) = ? ORDER BY created_at DESC, id LIMIT ?",
            (len(prefix), prefix, limit),
        )
        return [str(row[0]) for row in rows]

    def initial_state(self, execution_id: str) -> tuple[str, bytes] | None:
        rows = self._db.query(
            "SELECT initial_state_type, initial_state FROM executions WHERE id = ?", (execution_id,)
        )
        if not rows or rows[0][0] is None:
            return None
        return str(rows[0][0]), bytes(rows[0][1])

    def list(
        self,
        project: str | None = None,
        limit: int = 100,
        offset: int = 0,
        batch_id: str | None = None,
    ) -> list[Execution]:
        where, params = _filters(project=project, batch_id=batch_id)
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM executions {where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_to_execution(row, self._decode) for row in rows]

    def count(self, project: str | None = None) -> int:
        where, params = _filters(project=project)
        return int(self._db.query(f"SELECT COUNT(*) FROM executions {where}", params)[0][0])

    def counts_by_project(self) -> dict[str, int]:
        rows = self._db.query("SELECT project, COUNT(*) FROM executions GROUP BY project")
        return {str(row[0]): int(row[1]) for row in rows}

    def set_status(
        self,
        execution_id: str,
        status: ExecutionStatus,
        error: ExecutionError | None = None,
    ) -> Execution:
        finished = time.time() if status.is_final else None
        error_json = json.dumps(error.__dict__) if error else None
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE executions SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                (status.value, error_json, finished, execution_id),
            )
            if cursor.rowcount == 0:
                raise UnknownExecutionError(f"No execution {execution_id!r} in this data directory.")
        return self.get(execution_id)

    def ids_with_status(self, status: ExecutionStatus) -> tuple[str, ...]:
        rows = self._db.query("SELECT id FROM executions WHERE status = ? ORDER BY created_at, id", (status.value,))
        return tuple(str(row[0]) for row in rows)

    def end_running(
        self, execution_id: str, status: ExecutionStatus, error: ExecutionError | None, head: str | None
    ) -> bool:
        """End an execution that is still ``running`` (its head too, when given); False if it no longer is."""
        error_json = json.dumps(error.__dict__) if error else None
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE executions SET status = ?, error = ?, finished_at = ?, "
                "head_checkpoint_id = COALESCE(?, head_checkpoint_id) WHERE id = ? AND status = ?",
                (status.value, error_json, time.time(), head, execution_id, ExecutionStatus.RUNNING.value),
            )
            return cursor.rowcount > 0

    def set_head(self, execution_id: str, checkpoint_id: str | None, conn: sqlite3.Connection | None = None) -> None:
        sql = "UPDATE executions SET head_checkpoint_id = ? WHERE id = ?"
        if conn is not None:
            conn.execute(sql, (checkpoint_id, execution_id))
            return
        with self._db.transaction() as own:
            own.execute(sql, (checkpoint_id, execution_id))

    def move_head(self, execution_id: str, checkpoint_id: str, status: str, conn: sqlite3.Connection) -> None:
        """A rollback's last step: head and status together, in the caller's transaction."""
        sql = "UPDATE executions SET head_checkpoint_id = ?, status = ? WHERE id = ?"
        conn.execute(sql, (checkpoint_id, status, execution_id))

    def count_by_status(self, batch_id: str) -> dict[str, int]:
        """How many executions of a batch are in each status."""
        rows = self._db.query("SELECT status, COUNT(*) FROM executions WHERE batch_id = ? GROUP BY status", (batch_id,))
        return {str(row[0]): int(row[1]) for row in rows}

    def export_row(self, execution_id: str) -> dict[str, Any]:
        """The execution's row by column name (``{"columns": [...], "rows": [[...]]}``), to carry
        it to another data dir (a batch worker's and back)."""
        with self._db.transaction() as conn:
            cursor = conn.execute("SELECT * FROM executions WHERE id = ?", (execution_id,))
            columns = [d[0] for d in cursor.description]
            return {"columns": columns, "rows": [list(row) for row in cursor.fetchall()]}

    def import_rows(self, rows: dict[str, Any], *, final_only: bool = False) -> None:
        """Take rows of :meth:`export_row`: by column name (a data dir of another schema still
        fits), known executions untouched, or with ``final_only`` given their final columns
        (a batch worker's outcome)."""
        final = ("status", "head_checkpoint_id", "error", "finished_at")
        have = {str(r[1]) for r in self._db.query("PRAGMA table_info(executions)")}
        columns = [str(c) for c in rows["columns"]]
        with self._db.transaction() as conn:
            for values in rows["rows"]:
                row = dict(zip(columns, values, strict=True))
                if final_only:
                    sql = (
                        "UPDATE executions SET status = ?, head_checkpoint_id = ?, error = ?, finished_at = ? "
                        "WHERE id = ?"
                    )
                    if conn.execute(sql, (*(row.get(c) for c in final), row["id"])).rowcount:
                        continue
                names = [c for c in columns if c in have]
                conn.execute(
                    f"INSERT OR IGNORE INTO executions ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                    [row[c] for c in names],
                )

    def delete(self, execution_ids: Sequence[str]) -> None:
        with self._db.transaction() as conn:
            conn.executemany(
                "UPDATE executions SET parent_id = NULL WHERE parent_id = ?", [(i,) for i in execution_ids]
            )
            conn.executemany("DELETE FROM checkpoint_views WHERE execution_id = ?", [(i,) for i in execution_ids])
            conn.executemany("DELETE FROM executions WHERE id = ?", [(i,) for i in execution_ids])


def _filters(**values: str | None) -> tuple[str, tuple[object, ...]]:
    used = {key: value for key, value in values.items() if value is not None}
    if not used:
        return "", ()
    return "WHERE " + " AND ".join(f"{key} = ?" for key in used), tuple(used.values())


def _to_execution(row: sqlite3.Row, decode: Decode | None) -> Execution:
    error = json.loads(row["error"]) if row["error"] else None
    initial = None
    if decode is not None and row["initial_state_type"] is not None:
        try:
            initial = decode((str(row["initial_state_type"]), bytes(row["initial_state"])))
        except Exception:  # an input whose class is gone, or a strict reader's refusal: the record stays readable
            initial = None
    return Execution(
        id=row["id"],
        project=row["project"],
        status=ExecutionStatus(row["status"]),
        thread_id=row["thread_id"],
        name=row["name"],
        parent_id=row["parent_id"],
        parent_checkpoint_id=row["parent_checkpoint_id"],
        batch_id=row["batch_id"],
        head_checkpoint_id=row["head_checkpoint_id"],
        config=json.loads(row["config"] or "{}"),
        error=ExecutionError(**error) if error else None,
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        initial_state=initial,
    )
