"""WTB's checkpointer: LangGraph's ``SqliteSaver`` plus a file snapshot at every checkpoint.

LangGraph calls ``put`` once per super-step, after every task of the step has finished
and (with ``durability="sync"``) before the next step starts: the one moment when the
workspace files belong to exactly that checkpoint. We snapshot them there, link the
snapshot to the checkpoint once it is stored, and tell the controller.

Channel values are stored by content (:mod:`wtb.engine.state_values`): ``put`` replaces
the large ones by references before ``SqliteSaver.put`` stores the checkpoint, in the same
transaction, and ``get_tuple``/``list`` put them back, so LangGraph sees what it stored.
"""

from __future__ import annotations

import builtins
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.sqlite import SqliteSaver

from wtb.engine import paused_tasks, stop_heads
from wtb.engine.state_values import MARK, WRITE_MARK, StateGcReport, StateStorage, StateValues, collect, storage
from wtb.engine.thread_copy import paused_writes
from wtb.sqlite import connect

#: The checkpoint metadata key that names the snapshot of the checkpoint's files.
FILES_KEY = "wtb_files"
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
        # Reentrant: a put holds it across its values and SqliteSaver's own put (which takes it).
        self.lock = threading.RLock()  # type: ignore[assignment]
        self.values = StateValues(conn)
        self._take_snapshot = take_snapshot
        self._on_checkpoint = on_checkpoint
        self._replayed = replayed
        self._heads: dict[str, str] = {}  # namespace -> checkpoint read as its latest (see continue_from)
        self._heads_asked = False
        self._continuing = False  # continue_from was given heads: other namespaces start empty
        self._stored_in: set[str] = set()  # namespaces this saver stored a checkpoint in

    def continue_from(self, heads: Mapping[str, str], *, asked: bool = False) -> None:
        """Read ``heads[namespace]`` as the latest checkpoint of each namespace, until this saver
        stores one there: how a run goes on inside a subgraph from a step its thread has
        moved past (an execution rolled back there).

        LangGraph continues inside a subgraph only from the latest checkpoint of every
        namespace down to it (a checkpoint addressed by id is copied into a ``fork`` first,
        under a new id, and the subgraph, whose namespace derives from that id, starts
        over). As for a fork from such a step (``ThreadCopier.copy_up_to``), the heads'
        pending writes are read as none, their tasks run again, except, where the tasks
        ``asked`` questions, the writes they had while paused.

        Every other namespace reads as having no checkpoint until this saver stores one
        there. The tasks that run again under a head keep their ids (derived from the
        head's), and so their subgraphs' namespaces, which hold the checkpoints those
        subgraphs made after the head: read as their latest, a subgraph below the head, or
        one beside it, would find itself finished and return without running a node,
        its files missing from the workspace restored to the head's.
        """
        self._heads = dict(heads)
        self._heads_asked = asked
        self._continuing = bool(heads)
        self._stored_in = set()

    def setup(self) -> None:
        super().setup()
        self.values.setup()

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        if self._replayed:
            metadata = {**metadata, "wtb_replayed": sorted(self._replayed)}
            self._replayed.clear()
        snapshot = self._take_snapshot(checkpoint, dict(metadata)) if self._take_snapshot else None
        if isinstance(snapshot, str):  # with the checkpoint, in its transaction: see engine/relink.py
            metadata = {**metadata, FILES_KEY: snapshot}
        stored = self._put_by_content(config, checkpoint, metadata, new_versions)
        namespace = str(config.get("configurable", {}).get("checkpoint_ns", ""))
        self._heads.pop(namespace, None)
        self._stored_in.add(namespace)
        if self._on_checkpoint:
            parent = config.get("configurable", {}).get("checkpoint_id")
            self._on_checkpoint(dict(checkpoint), dict(metadata), parent, snapshot)
        return stored

    def _put_by_content(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        """``SqliteSaver.put`` of the checkpoint with its values by reference, in one write
        transaction with the values it references (a collector never sees them unreferenced)."""
        configurable = config.get("configurable", {})
        thread_id = str(configurable.get("thread_id", ""))
        namespace = str(configurable.get("checkpoint_ns", ""))
        with self.lock:
            self.setup()
            if not self.values.writable:
                return super().put(config, checkpoint, metadata, new_versions)
            if self.conn.in_transaction:
                self.conn.commit()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                encoded = self.values.encode(
                    self.serde, thread_id, namespace, checkpoint, lambda: self._parent_refs(config)
                )
                return super().put(config, cast(Any, encoded), metadata, new_versions)  # commits
            finally:
                if self.conn.in_transaction:
                    self.conn.rollback()

    def put_writes(
        self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        """``SqliteSaver.put_writes`` with large values by reference (in one transaction with them)."""
        with self.lock:
            self.setup()
            if not self.values.writable:
                super().put_writes(config, writes, task_id, task_path)
                return
            if self.conn.in_transaction:
                self.conn.commit()
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                encoded = [self.values.encode_write(self.serde, str(channel), value) for channel, value in writes]
                super().put_writes(config, encoded, task_id, task_path)  # commits
            finally:
                if self.conn.in_transaction:
                    self.conn.rollback()

    def _parent_refs(self, config: Any) -> Mapping[str, bytes]:
        """The value references of the checkpoint ``config`` names (none: ``{}``)."""
        if not config.get("configurable", {}).get("checkpoint_id"):
            return {}
        found = SqliteSaver.get_tuple(self, config)
        refs = found.checkpoint.get(MARK) if found is not None else None
        return refs if isinstance(refs, dict) else {}

    def get_tuple(self, config: Any) -> CheckpointTuple | None:
        with self.lock:
            if self._starts_empty(config):
                return None
            head = self._head_for(config)
            if head is not None:
                return head
            found = super().get_tuple(config)
            return self._decoded(found) if found is not None else None

    def _starts_empty(self, config: Any) -> bool:
        """Whether ``config``'s namespace reads as having no checkpoint yet (see :meth:`continue_from`)."""
        configurable = config.get("configurable", {})
        if not self._continuing or configurable.get("checkpoint_id"):
            return False
        namespace = str(configurable.get("checkpoint_ns", ""))
        return namespace not in self._heads and namespace not in self._stored_in

    def _head_for(self, config: Any) -> CheckpointTuple | None:
        """The checkpoint :meth:`continue_from` reads as the latest one of ``config``'s namespace."""
        configurable = config.get("configurable", {})
        head = self._heads.get(str(configurable.get("checkpoint_ns", "")))
        if head is None or configurable.get("checkpoint_id"):
            return None
        found = super().get_tuple({"configurable": {**configurable, "checkpoint_id": head}})
        if found is None:
            return None
        where = found.config["configurable"]
        finished = paused_tasks.of(self.conn, str(where["thread_id"]), str(where.get("checkpoint_ns", "")), head)
        writes = paused_writes(found.pending_writes or [], finished) if self._heads_asked else []
        return self._decoded(found._replace(pending_writes=writes))

    def get_tuple_without_writes(self, config: Any) -> CheckpointTuple | None:
        """:meth:`get_tuple` with no pending writes: reading a checkpoint's state needs only its
        values, and putting the writes' values back costs a tenth of an old checkpoint's read."""
        with self.lock:
            found = super().get_tuple(config)
            return self._decoded(found._replace(pending_writes=[])) if found is not None else None

    def list(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        for found in super().list(config, filter=filter, before=before, limit=limit):
            with self.lock:
                yield self._decoded(found)

    def _decoded(self, found: CheckpointTuple) -> CheckpointTuple:
        if MARK in found.checkpoint:
            found = found._replace(checkpoint=self.values.decode(self.serde, found.checkpoint))
        writes = list(found.pending_writes or ())
        if any(str(channel).startswith(WRITE_MARK) for _, channel, _ in writes):
            found = found._replace(pending_writes=self.values.decode_writes(self.serde, writes))
        return found

    def get_delta_channel_history(self, *, config: Any, channels: Sequence[str]) -> Mapping[str, Any]:
        # SqliteSaver's fast path reads seeds from the stored blobs, where values are references:
        # LangGraph's generic walk goes through get_tuple, which puts them back.
        return BaseCheckpointSaver.get_delta_channel_history(self, config=config, channels=channels)

    # -- the value store: retention and statistics --

    def stored_checkpoints(self) -> builtins.list[CheckpointTuple]:
        """Every checkpoint of every thread as stored (values by reference), for the collector.
        Read whole: a suspended ``list`` would hold the saver's lock and a read transaction."""
        with self.lock:
            return [*SqliteSaver.list(self, None)]

    def collect_state_values(self) -> StateGcReport:
        """Delete the stored values that no checkpoint references any more."""
        with self.lock:
            self.setup()
            if not self.values.writable:  # a read-only database: nothing can be deleted
                return StateGcReport()
            return collect(self.conn, self.stored_checkpoints)

    def state_storage(self) -> StateStorage:
        """State bytes stored against bytes referenced (``wtb stats``)."""
        with self.lock:
            self.setup()
            return storage(self.conn, self.stored_checkpoints())

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

    def delete_thread(self, thread_id: str) -> None:
        with self.lock:
            super().delete_thread(thread_id)
            paused_tasks.forget(self.conn, [str(thread_id)])
            stop_heads.forget(self.conn, [str(thread_id)])

    def note_paused(self, config: Any) -> None:
        """Record which tasks had finished at the checkpoint ``config`` names and at each one
        running it (``parents``), as a run pauses there (:mod:`wtb.engine.paused_tasks`)."""
        with self.lock:
            found = SqliteSaver.get_tuple(self, config)
            if found is None:
                return
            thread_id = str(found.config["configurable"]["thread_id"])
            steps = [found]  # the head, read once, and the steps running it
            for namespace, checkpoint_id in ((found.metadata or {}).get("parents") or {}).items():
                at = {"thread_id": thread_id, "checkpoint_ns": str(namespace), "checkpoint_id": str(checkpoint_id)}
                parent = SqliteSaver.get_tuple(self, {"configurable": at})
                if parent is not None:
                    steps.append(parent)
            for step in steps:
                where = step.config["configurable"]
                paused_tasks.record(
                    self.conn, thread_id, str(where.get("checkpoint_ns", "")), str(where["checkpoint_id"]),
                    step.pending_writes or [],
                )

    def note_stopped_inside(self, thread_id: str, head_id: str, heads: Mapping[str, str]) -> None:
        """Record where each namespace stood as a run stopped inside subgraphs with its head at
        ``head_id`` (:mod:`wtb.engine.stop_heads`), and the tasks each had finished there."""
        with self.lock:
            stop_heads.record(self.conn, thread_id, head_id, heads)
        for namespace, checkpoint_id in heads.items():
            self.note_paused({"configurable": {
                "thread_id": thread_id, "checkpoint_ns": namespace, "checkpoint_id": checkpoint_id,
            }})

    def stop_heads(self, thread_id: str, head_id: str) -> dict[str, str]:
        """Where each namespace stood when a run stopped inside subgraphs at ``head_id`` ({}: none recorded)."""
        with self.lock:
            return stop_heads.of(self.conn, thread_id, head_id)

    async def aget_delta_channel_history(self, *, config: Any, channels: Sequence[str]) -> Mapping[str, Any]:
        return self.get_delta_channel_history(config=config, channels=channels)


def open_checkpoint_db(path: Path) -> sqlite3.Connection:
    """The connection LangGraph's saver uses: WAL, busy timeout, ``synchronous=NORMAL``."""
    return connect(path, autocommit=False)
