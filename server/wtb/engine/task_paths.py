"""The ``task_path`` of each task's writes, recorded as ``WTBSaver.put_writes`` is given it.

LangGraph passes ``put_writes`` the path of the task that wrote (``"~__pregel_pull, <node>"``
for a node, a longer tuple for a ``Send``); ``list``/``get_tuple`` give pending writes back
as ``(task id, channel, value)`` without it. WTB needs it twice: to name the node that made
the writes of a checkpoint no WTB run recorded (an app's run through ``WTBSaver``), and to
store the writes again with their path when a thread is copied (LangGraph orders a step's
writes by it). So the saver keeps it in a table of its own, beside LangGraph's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS wtb_task_paths ("
    " thread_id TEXT NOT NULL, checkpoint_ns TEXT NOT NULL, checkpoint_id TEXT NOT NULL,"
    " task_id TEXT NOT NULL, task_path TEXT NOT NULL,"
    " PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id))"
)

PathKey = tuple[str, str, str, str]  # (thread id, namespace, checkpoint id, task id)


def setup(conn: sqlite3.Connection) -> None:
    with conn:
        conn.execute(SCHEMA)


def record(conn: sqlite3.Connection, config: Any, task_id: str, task_path: str) -> None:
    """Keep the path of ``task_id``'s writes on the checkpoint ``config`` names."""
    if not task_path:
        return
    configurable = config["configurable"]
    with conn:
        conn.execute(
            "INSERT OR IGNORE INTO wtb_task_paths VALUES (?, ?, ?, ?, ?)",
            (
                str(configurable["thread_id"]),
                str(configurable.get("checkpoint_ns", "")),
                str(configurable["checkpoint_id"]),
                str(task_id),
                str(task_path),
            ),
        )


def of_thread(conn: sqlite3.Connection, thread_id: str) -> dict[PathKey, str]:
    """Every recorded path of a thread's writes (none when no ``WTBSaver`` wrote here)."""
    if not _exists(conn):
        return {}
    rows = conn.execute(
        "SELECT thread_id, checkpoint_ns, checkpoint_id, task_id, task_path FROM wtb_task_paths WHERE thread_id = ?",
        (thread_id,),
    ).fetchall()
    return {(str(t), str(ns), str(c), str(task)): str(path) for t, ns, c, task, path in rows}


def forget(conn: sqlite3.Connection, thread_ids: Iterable[str]) -> None:
    if not _exists(conn):
        return
    with conn:
        conn.executemany("DELETE FROM wtb_task_paths WHERE thread_id = ?", [(t,) for t in thread_ids])


def node_of(task_path: str) -> str:
    """The node a task path names: its last part (``"~__pregel_pull, agent"`` -> ``"agent"``)."""
    return task_path.rsplit(",", 1)[-1].strip() or "?"


def _exists(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'wtb_task_paths'").fetchone()
    return row is not None
