"""WTB's checkpointer: LangGraph's ``SqliteSaver`` plus a file snapshot at every checkpoint.

LangGraph calls ``put`` once per super-step, after every task of the step has finished
and (with ``durability="sync"``) before the next step starts: the one moment when the
workspace files belong to exactly that checkpoint. We snapshot them there, link the
snapshot to the checkpoint once it is stored, and tell the controller.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import CheckpointTuple
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.sqlite import SqliteSaver

from wtb.sqlite import connect

CheckpointHook = Callable[[dict[str, Any], dict[str, Any], str | None, Any], None]
SnapshotHook = Callable[[dict[str, Any], dict[str, Any]], Any]  # (checkpoint, metadata) -> snapshot


class TrackingSaver(SqliteSaver):
    """A ``SqliteSaver`` that calls ``take_snapshot`` before and ``on_checkpoint`` after each put.

    ``replayed`` is shared with the run's replaying nodes: the names they answered from a
    recording are written into the next checkpoint's metadata (``wtb_replayed``).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        take_snapshot: SnapshotHook | None = None,
        on_checkpoint: CheckpointHook | None = None,
        replayed: list[str] | None = None,
        serde: SerializerProtocol | None = None,
    ) -> None:
        super().__init__(conn, serde=serde)
        self._take_snapshot = take_snapshot
        self._on_checkpoint = on_checkpoint
        self._replayed = replayed

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        if self._replayed:
            metadata = {**metadata, "wtb_replayed": sorted(self._replayed)}
            self._replayed.clear()
        snapshot = self._take_snapshot(checkpoint, dict(metadata)) if self._take_snapshot else None
        stored = super().put(config, checkpoint, metadata, new_versions)
        if self._on_checkpoint:
            parent = config.get("configurable", {}).get("checkpoint_id")
            self._on_checkpoint(dict(checkpoint), dict(metadata), parent, snapshot)
        return stored

    # The async API (LangGraph's ``astream``): the sync methods, on the same connection.
    # Each call finishes without yielding to the event loop, so they never interleave.

    async def aget_tuple(self, config: Any) -> CheckpointTuple | None:
        return self.get_tuple(config)

    async def alist(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        for found in self.list(config, filter=filter, before=before, limit=limit):
            yield found

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        self.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        self.delete_thread(thread_id)

    async def aget_delta_channel_history(self, *, config: Any, channels: Sequence[str]) -> Mapping[str, Any]:
        return self.get_delta_channel_history(config=config, channels=channels)


def open_checkpoint_db(path: Path) -> sqlite3.Connection:
    """The connection LangGraph's saver uses: WAL, busy timeout, ``synchronous=NORMAL``."""
    return connect(path, autocommit=False)
