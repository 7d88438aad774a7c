"""What happens at each checkpoint of a run: link the file snapshot, move the head, tell the caller.

One :class:`RunRecorder` per run. The saver calls it from LangGraph's checkpoint thread
right after a checkpoint is stored; it computes the step's ``_output_files`` (the
difference between this snapshot and the previous one), links them to the checkpoint,
records the new head in ``wtb.db`` and emits a ``checkpoint`` event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from langgraph.checkpoint.base import CheckpointTuple

from wtb.engine.state_adapter import StateAdapter, next_nodes
from wtb.models import Checkpoint
from wtb.store.executions import ExecutionStore

EventSink = Callable[[dict[str, Any]], None]


class Tracker(Protocol):
    """The part of the file tracking service a run needs."""

    def snapshot(self) -> str: ...
    def snapshot_for(
        self, checkpoint_id: str, execution_id: str, previous: str | None
    ) -> tuple[str, dict[str, str | None]]: ...
    def changes(self, old: str | None, new: str) -> dict[str, str | None]: ...
    def link_checkpoint(
        self, checkpoint_id: str, execution_id: str, snapshot_id: str, output_files: Any
    ) -> None: ...


class RunRecorder:
    def __init__(
        self,
        execution_id: str,
        thread_id: str,
        executions: ExecutionStore,
        adapter: StateAdapter | None,
        tracker: Tracker | None,
        previous_snapshot: str | None,
        on_event: EventSink | None,
    ) -> None:
        self.execution_id = execution_id
        self.thread_id = thread_id
        self.head: str | None = None
        self.head_next: list[str] = []
        self._executions = executions
        self.adapter = adapter
        self._tracker = tracker
        self._previous_snapshot = previous_snapshot
        self._start_snapshot: str | None = None
        self._linked: dict[str, dict[str, str | None]] = {}  # checkpoint id -> output files, linked already
        self._on_event = on_event

    def take_snapshot(self, checkpoint: dict[str, Any], metadata: dict[str, Any]) -> str | None:
        """The workspace's files for the checkpoint being stored.

        A fresh snapshot is linked to the checkpoint in the same transaction (the link
        of a checkpoint whose store then fails is never listed). A ``fork`` checkpoint
        (LangGraph's copy of the checkpoint a run resumes from) has exactly the files of
        that checkpoint: the workspace was brought to them before the run, and LangGraph
        may store it while the first node already runs, so a fresh snapshot could catch
        that node's writes.
        """
        if self._tracker is None:
            return None
        if metadata.get("source") == "fork" and self._previous_snapshot is not None:
            return self._previous_snapshot
        if metadata.get("source") == "input" and self._start_snapshot is not None:
            return self._start_snapshot
        checkpoint_id = str(checkpoint["id"])
        snapshot, outputs = self._tracker.snapshot_for(checkpoint_id, self.execution_id, self._previous_snapshot)
        self._linked[checkpoint_id] = outputs
        return snapshot

    def take_start_snapshot(self) -> None:
        """Snapshot the files as the run starts: they are the files of its ``input`` checkpoint.

        LangGraph stores that checkpoint from a background thread while the run's own
        thread is busy starting the first step; taken there, the snapshot's waits would
        queue behind that thread for the interpreter lock, and it could see a write of
        the first node. Taken here, before the graph starts, it costs its own time only.
        """
        if self._tracker is not None:
            self._start_snapshot = self._tracker.snapshot()

    def on_checkpoint(
        self, checkpoint: dict[str, Any], metadata: dict[str, Any], parent: str | None, snapshot: Any
    ) -> None:
        checkpoint_id = str(checkpoint["id"])
        output_files: dict[str, str | None] = {}
        if self._tracker is not None and snapshot is not None:
            linked = self._linked.pop(checkpoint_id, None)
            if linked is not None:
                output_files = linked
            else:
                if self._previous_snapshot is not None:
                    output_files = self._tracker.changes(self._previous_snapshot, snapshot)
                self._tracker.link_checkpoint(checkpoint_id, self.execution_id, snapshot, output_files)
            self._previous_snapshot = snapshot
        found = CheckpointTuple({"configurable": {}}, checkpoint, metadata, None)  # type: ignore[arg-type]
        self.head = checkpoint_id
        self.head_next = next_nodes(found)
        if self._on_event is None:
            return
        parents = [{"configurable": {"checkpoint_id": parent}}] if parent else []
        writes = self.adapter._writes_by_checkpoint(self.thread_id, parents) if self.adapter else {}
        record = Checkpoint(
            id=checkpoint_id,
            execution_id=self.execution_id,
            step=int(metadata.get("step", -1)),
            source=str(metadata.get("source", "")),
            writes=writes.get(parent, {}) if parent else {},
            next=next_nodes(found),
            parent_id=parent,
            created_at=str(checkpoint.get("ts", "")),
            snapshot_id=snapshot,
            output_files=output_files,
            replayed=list(metadata.get("wtb_replayed", [])),
        )
        self._on_event({"type": "checkpoint", "checkpoint": record})
