"""Which tasks of a step had finished when a run paused there, recorded as it stops.

A step that asks a question keeps, as pending writes, the results of its tasks that
finished before (LangGraph does not run them again). Answered, the step goes on and adds
the writes of the tasks that ran after the answer (an ``@entrypoint``'s next ``@task``
calls) to the same checkpoint; nothing in LangGraph's writes tells the two apart. A fork
from that step is the run *as it was paused* (docs/decisions.md), so it must keep only the
first: this table names them, per checkpoint, in the checkpoint database beside LangGraph's,
each with the answers it held then (a node that asks twice in turn holds the first answer
while it waits for the second; the writes of the step gone on do not say how many it had).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from langgraph.checkpoint.serde.types import RESUME

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS wtb_paused_tasks ("
    " thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL,"
    " task_ids TEXT NOT NULL,"
    " PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))"
)


def record(
    conn: sqlite3.Connection, thread_id: str, namespace: str, checkpoint_id: str, writes: Iterable[tuple[str, str, Any]]
) -> None:
    """Name the tasks with ``writes`` (the checkpoint's pending writes) as the run pauses at
    ``checkpoint_id``, each with the number of answers it had been given (an earlier pause's go)."""
    with conn:
        conn.execute(SCHEMA)
        conn.execute(
            "INSERT OR REPLACE INTO wtb_paused_tasks VALUES (?, ?, ?, ?)",
            (thread_id, namespace, checkpoint_id, json.dumps(answers_by_task(writes), sort_keys=True)),
        )


def answers_by_task(writes: Iterable[tuple[str, str, Any]]) -> dict[str, int]:
    """Each task with writes -> how many answers it holds (``__resume__``: a node that asked in
    turn is given its earlier answers again as it runs from its start)."""
    found: dict[str, int] = {}
    for task_id, channel, value in writes:
        counted = len(value) if channel == RESUME and isinstance(value, list) else 0
        found[str(task_id)] = max(found.get(str(task_id), 0), counted)
    return found


def of(conn: sqlite3.Connection, thread_id: str, namespace: str, checkpoint_id: str) -> dict[str, int | None] | None:
    """The tasks that had finished (or asked) when a run paused at the checkpoint, each with the
    answers it held (None: recorded before they were counted); None if no pause was recorded."""
    if not _exists(conn):
        return None
    row = conn.execute(
        "SELECT task_ids FROM wtb_paused_tasks WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
        (thread_id, namespace, checkpoint_id),
    ).fetchone()
    if row is None:
        return None
    recorded = json.loads(row[0])
    return dict(recorded) if isinstance(recorded, dict) else dict.fromkeys(recorded)


def forget(conn: sqlite3.Connection, thread_ids: Iterable[str]) -> None:
    if not _exists(conn):
        return
    with conn:
        conn.executemany("DELETE FROM wtb_paused_tasks WHERE thread_id = ?", [(t,) for t in thread_ids])


def _exists(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'wtb_paused_tasks'").fetchone()
    return row is not None
