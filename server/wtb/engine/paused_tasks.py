"""Which tasks of a step had finished when a run paused there, recorded as it stops.

A step that asks a question keeps, as pending writes, the results of its tasks that
finished before (LangGraph does not run them again). Answered, the step goes on and adds
the writes of the tasks that ran after the answer (an ``@entrypoint``'s next ``@task``
calls) to the same checkpoint; nothing in LangGraph's writes tells the two apart. A fork
from that step is the run *as it was paused* (docs/decisions.md), so it must keep only the
first: this table names them, per checkpoint, in the checkpoint database beside LangGraph's.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS wtb_paused_tasks ("
    " thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL,"
    " task_ids TEXT NOT NULL,"
    " PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))"
)


def record(
    conn: sqlite3.Connection, thread_id: str, namespace: str, checkpoint_id: str, task_ids: Iterable[str]
) -> None:
    """Name the tasks with writes at ``checkpoint_id`` as the run pauses there (an earlier pause's go)."""
    with conn:
        conn.execute(SCHEMA)
        conn.execute(
            "INSERT OR REPLACE INTO wtb_paused_tasks VALUES (?, ?, ?, ?)",
            (thread_id, namespace, checkpoint_id, json.dumps(sorted(set(task_ids)))),
        )


def of(conn: sqlite3.Connection, thread_id: str, namespace: str, checkpoint_id: str) -> set[str] | None:
    """The tasks that had finished when a run paused at the checkpoint; None if none was recorded."""
    if not _exists(conn):
        return None
    row = conn.execute(
        "SELECT task_ids FROM wtb_paused_tasks WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
        (thread_id, namespace, checkpoint_id),
    ).fetchone()
    return None if row is None else set(json.loads(row[0]))


def forget(conn: sqlite3.Connection, thread_ids: Iterable[str]) -> None:
    if not _exists(conn):
        return
    with conn:
        conn.executemany("DELETE FROM wtb_paused_tasks WHERE thread_id = ?", [(t,) for t in thread_ids])


def _exists(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'wtb_paused_tasks'").fetchone()
    return row is not None
