"""The ``checkpoint_views`` table: what LangGraph itself said of each checkpoint.

A run records, while its graph is loaded, LangGraph's public view of every checkpoint it
makes (values, next nodes, tasks with their interrupts, errors and writes; see
:mod:`wtb.engine.views`). Browsing reads these rows and never imports workflow code.
The row keeps the view's body as the checkpointer's serializer wrote it (``type``,
``bytes``), so that a daemon reads it back as strictly as it reads the checkpoints.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from wtb.store.db import Database

_IDS_A_QUERY = 500  # well under SQLite's limit of bound parameters
_COLUMNS = "checkpoint_id, execution_id, namespace, parent_id, step, source, created_at, next, body_type, body"


@dataclass(frozen=True)
class ViewRow:
    """One checkpoint's recorded view, its body still serialized."""

    checkpoint_id: str
    execution_id: str
    namespace: str
    parent_id: str | None
    step: int
    source: str
    created_at: str
    next: list[str]
    body: tuple[str, bytes]


class ViewStore:
    """The ``checkpoint_views`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def put_many(self, rows: Iterable[ViewRow]) -> None:
        """Store (or replace: a resumed checkpoint is seen again, with its answers) several views at once."""
        values = [
            (r.checkpoint_id, r.execution_id, r.namespace, r.parent_id, r.step, r.source, r.created_at,
             json.dumps(r.next), r.body[0], r.body[1])
            for r in rows
        ]
        if not values:
            return
        with self._db.transaction() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO checkpoint_views ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", values
            )

    def get(self, checkpoint_id: str, execution_id: str | None = None) -> ViewRow | None:
        """The view ``execution_id`` recorded of a checkpoint, else the first one recorded
        (a checkpoint is shared by a fork that continues inside a subgraph)."""
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM checkpoint_views WHERE checkpoint_id = ? "
            "ORDER BY execution_id = ? DESC, rowid LIMIT 1",
            (checkpoint_id, execution_id or ""),
        )
        return _to_row(rows[0]) if rows else None

    def of_checkpoints(self, execution_id: str, checkpoint_ids: Iterable[str]) -> list[ViewRow]:
        """The views an execution recorded of these checkpoints (a page of a long run's)."""
        ids = sorted(set(checkpoint_ids))
        rows: list[ViewRow] = []
        for start in range(0, len(ids), _IDS_A_QUERY):
            chunk = ids[start : start + _IDS_A_QUERY]
            marks = ",".join("?" * len(chunk))
            found = self._db.query(
                f"SELECT {_COLUMNS} FROM checkpoint_views WHERE execution_id = ? AND checkpoint_id IN ({marks})",
                (execution_id, *chunk),
            )
            rows += [_to_row(r) for r in found]
        return rows

    def of_execution(self, execution_id: str) -> list[ViewRow]:
        """Every view of an execution, newest first (checkpoint ids are time-ordered)."""
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM checkpoint_views WHERE execution_id = ? ORDER BY checkpoint_id DESC",
            (execution_id,),
        )
        return [_to_row(r) for r in rows]


def to_plain(row: ViewRow) -> list[object]:
    """A view as plain values (a batch worker's bundle carries them to the driver)."""
    return [row.checkpoint_id, row.execution_id, row.namespace, row.parent_id, row.step, row.source,
            row.created_at, list(row.next), row.body[0], row.body[1]]


def from_plain(values: list[object]) -> ViewRow:
    return _to_row(values)  # type: ignore[arg-type]


def _to_row(row: sqlite3.Row) -> ViewRow:
    return ViewRow(
        checkpoint_id=row[0],
        execution_id=row[1],
        namespace=row[2],
        parent_id=row[3],
        step=int(row[4]),
        source=row[5],
        created_at=row[6],
        next=list(row[7]) if isinstance(row[7], list) else list(json.loads(row[7])),
        body=(row[8], bytes(row[9])),
    )
