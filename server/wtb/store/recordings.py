"""The ``node_calls`` table: which state keys a recorded node call read, and their hash (see
:mod:`wtb.engine.replay`)."""

from __future__ import annotations

import json

from wtb.store.db import Database


class ReplayStore:
    """The ``node_calls`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, project: str, node: str, execution_id: str, parent: str, keys: list[str], digest: str) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO node_calls (project, node, execution_id, parent_checkpoint_id, keys, input_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (project, node, execution_id, parent, json.dumps(keys), digest),
            )

    def candidates(self, project: str, node: str) -> list[tuple[list[str], str, str, str]]:
        rows = self._db.query(
            "SELECT keys, input_hash, execution_id, parent_checkpoint_id FROM node_calls "
            "WHERE project = ? AND node = ? ORDER BY id DESC",
            (project, node),
        )
        return [(json.loads(r[0]), r[1], r[2], r[3]) for r in rows]
