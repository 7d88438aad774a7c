"""Where every subgraph stood when a run stopped inside subgraphs, recorded as it stops.

A run that goes on inside a subgraph (from a step rolled back or forked to) and stops
there again stores no root checkpoint: its head is the latest checkpoint it stored, in
one namespace. But a step can run several subgraphs at once (``Send`` to a subgraph, or
two subgraph nodes), and each stopped somewhere of its own: one at a question, another
finished, a third at a question too. The head alone tells only its own namespace, so
the execution showed one question of two, and the next resume started the others over,
which then asked again (a resume never ended). This table names, per head, the
checkpoint each namespace stood at (the root step included), in the checkpoint
database beside LangGraph's: the questions pending are theirs together, and a resume
reads each as its namespace's latest (``TrackingSaver.continue_from``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping

log = logging.getLogger(__name__)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS wtb_stop_heads ("
    " thread_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL, heads TEXT NOT NULL,"
    " PRIMARY KEY (thread_id, checkpoint_id))"
)


def record(conn: sqlite3.Connection, thread_id: str, checkpoint_id: str, heads: Mapping[str, str]) -> None:
    """Name ``heads`` (namespace -> checkpoint id) as where a run stopped with its head at ``checkpoint_id``."""
    with conn:
        conn.execute(SCHEMA)
        conn.execute(
            "INSERT OR REPLACE INTO wtb_stop_heads VALUES (?, ?, ?)",
            (thread_id, checkpoint_id, json.dumps(dict(heads), sort_keys=True)),
        )


def of(conn: sqlite3.Connection, thread_id: str, checkpoint_id: str) -> dict[str, str]:
    """The heads recorded for a run that stopped at ``checkpoint_id`` ({}: none recorded)."""
    if not _exists(conn):
        return {}
    row = conn.execute(
        "SELECT heads FROM wtb_stop_heads WHERE thread_id = ? AND checkpoint_id = ?", (thread_id, checkpoint_id)
    ).fetchone()
    if row is None:
        return {}
    try:
        recorded = json.loads(row[0])
    except (TypeError, ValueError):
        recorded = None
    if not isinstance(recorded, dict):  # damaged: go on from the head alone, as without the record
        log.warning("the stop record of checkpoint %s (thread %s) is unreadable; ignored", checkpoint_id, thread_id)
        return {}
    return {str(ns): str(cid) for ns, cid in recorded.items()}


def forget(conn: sqlite3.Connection, thread_ids: Iterable[str]) -> None:
    if not _exists(conn):
        return
    with conn:
        conn.executemany("DELETE FROM wtb_stop_heads WHERE thread_id = ?", [(t,) for t in thread_ids])


def _exists(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'wtb_stop_heads'").fetchone()
    return row is not None
