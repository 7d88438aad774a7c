"""The ``goldens`` table: known-good executions, by name."""

from __future__ import annotations

import time
from dataclasses import dataclass

from wtb.errors import NotFoundError
from wtb.store.db import Database


@dataclass(frozen=True)
class Golden:
    name: str
    execution_id: str
    project: str
    created_at: float


class GoldenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def mark(self, name: str, execution_id: str, project: str) -> Golden:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO goldens (name, execution_id, project, created_at) VALUES (?, ?, ?, ?)",
                (name, execution_id, project, time.time()),
            )
        return self.get(name)

    def get(self, name: str) -> Golden:
        rows = self._db.query("SELECT name, execution_id, project, created_at FROM goldens WHERE name = ?", (name,))
        if not rows:
            known = ", ".join(g.name for g in self.list()) or "none"
            raise NotFoundError(
                f"No golden run named {name!r}; known: {known}. "
                "Mark one with `wtb golden EXECUTION` (SDK: `mark_golden`)."
            )
        return Golden(*rows[0])

    def list(self, project: str | None = None) -> list[Golden]:
        sql = "SELECT name, execution_id, project, created_at FROM goldens"
        rows = self._db.query(sql + " WHERE project = ? ORDER BY name", (project,)) if project else self._db.query(
            sql + " ORDER BY name"
        )
        return [Golden(*row) for row in rows]

    def execution_ids(self) -> set[str]:
        return {str(row[0]) for row in self._db.query("SELECT execution_id FROM goldens")}
