"""``StateAdapter``: WTB's reading of LangGraph's checkpoints.

It reads checkpoints from the saver, without importing the workflow, so that browsing
history is fast and safe in an untrusted workspace. What a checkpoint means is
LangGraph's own view, recorded by the run that made it (:meth:`StateAdapter.view`,
``engine/views.py``). Only a checkpoint no WTB run recorded (one stored through
``WTBSaver`` by an app of the user's) is read from the checkpoint itself: its channel
values minus LangGraph's internal channels, the nodes due next from the ``branch:to:``
trigger channels still set, the writes from the saver's writes table. It also copies a
checkpoint into a new thread, which is how a fork starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from langgraph.checkpoint.base import CheckpointTuple
from langgraph.checkpoint.base.id import uuid6

from wtb.engine import task_paths
from wtb.engine.checkpointer import TrackingSaver
from wtb.engine.views import CheckpointView, decode, pending_together
from wtb.errors import NonSerializableStateError, UnknownCheckpointError
from wtb.models import Checkpoint, Execution, InterruptRecord
from wtb.store.views import ViewStore

_TRIGGER = "branch:to:"
STATE_EDIT = "(state edit)"  # the "node" of a checkpoint made by update_state


def is_internal_channel(name: str) -> bool:
    return name.startswith("__") or ":" in name


def thread_config(thread_id: str, checkpoint_id: str | None = None, namespace: str = "") -> dict[str, Any]:
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": namespace}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


class StateAdapter:
    """Checkpoint reads and thread copies on top of a :class:`TrackingSaver`."""

    def __init__(self, saver: TrackingSaver, views: ViewStore | None = None) -> None:
        self.saver = saver
        self.views = views

    def recorded(self, checkpoint_id: str, execution_id: str | None = None) -> CheckpointView | None:
        """What LangGraph said of a checkpoint when its run recorded it (None: not recorded);
        ``execution_id``: as that execution recorded it, where it did."""
        row = self.views.get(checkpoint_id, execution_id) if self.views is not None else None
        return decode(row, self.saver.serde) if row is not None else None

    def view(self, found: CheckpointTuple, execution_id: str | None = None) -> CheckpointView:
        """LangGraph's view of a checkpoint: recorded, else read from the checkpoint itself."""
        checkpoint_id = str(found.checkpoint["id"])
        recorded = self.recorded(checkpoint_id, execution_id)
        if recorded is not None:
            if recorded.values_in_checkpoint:
                recorded.values = self.values(found)
            return recorded
        metadata: dict[str, Any] = dict(found.metadata or {})
        return CheckpointView(
            checkpoint_id=checkpoint_id,
            namespace=str(found.config["configurable"].get("checkpoint_ns", "")),
            parent_id=(found.parent_config or {}).get("configurable", {}).get("checkpoint_id"),
            step=int(metadata.get("step", -1)),
            source=str(metadata.get("source", "")),
            created_at=str(found.checkpoint.get("ts", "")),
            next=next_nodes(found),
            values=self.values(found),
            replayed=list(metadata.get("wtb_replayed", [])),
        )

    def due_next(self, found: CheckpointTuple, execution_id: str | None = None) -> list[str]:
        """The nodes an execution whose head is ``found`` runs next.

        A subgraph's last checkpoint has none of its own, but the graphs around it are in
        the middle of the step whose task runs the subgraph: that task finishes with the
        subgraph's result and the parent goes on. So for such a head it is the next nodes
        of the innermost enclosing step that has some (LangGraph's ``parents`` metadata):
        an execution rolled back there is paused, not completed.
        """
        own = self.view(found, execution_id).next
        if own:
            return list(own)
        namespace = str(found.config["configurable"].get("checkpoint_ns", ""))
        parents: dict[str, Any] = dict((found.metadata or {}).get("parents") or {})
        thread_id = str(found.config["configurable"]["thread_id"])
        for enclosing in sorted((ns for ns in parents if ns != namespace), key=len, reverse=True):
            step = self.get_tuple(thread_id, str(parents[enclosing]), writes=False)
            nodes = self.view(step, execution_id).next
            if nodes:
                return list(nodes)
        return []

    def pending_interrupts(self, found: CheckpointTuple, execution_id: str | None = None) -> list[InterruptRecord]:
        """The questions an execution whose head is ``found`` waits on: its head's, and, where a
        run stopped inside several subgraphs at once, each one's (:mod:`wtb.engine.stop_heads`)."""
        view = self.view(found, execution_id)
        thread_id = str(found.config["configurable"]["thread_id"])
        heads = self.saver.stop_heads(thread_id, view.checkpoint_id)
        if not heads:
            return view.pending_interrupts()
        others = [
            self.view(self.get_tuple(thread_id, checkpoint_id, writes=False), execution_id)
            for checkpoint_id in heads.values()
            if checkpoint_id != view.checkpoint_id
        ]
        return pending_together([view, *others])

    def get_tuple(self, thread_id: str, checkpoint_id: str | None, *, writes: bool = True) -> CheckpointTuple:
        """A checkpoint of the thread (its latest root one by default), in whichever namespace it is.

        ``writes=False``: without the root checkpoint's pending writes (its state is all the caller reads).
        """
        config = thread_config(thread_id, checkpoint_id)
        found = self.saver.get_tuple(config) if writes else self.saver.get_tuple_without_writes(config)  # type: ignore[arg-type]
        if found is None and checkpoint_id:
            found = self._inner(thread_id, checkpoint_id)
        if found is None:
            what = f"checkpoint {checkpoint_id!r}" if checkpoint_id else "any checkpoint"
            raise UnknownCheckpointError(
                f"Thread {thread_id} has no {what}; `wtb checkpoints <execution>` lists its checkpoints."
            )
        return found

    def _inner(self, thread_id: str, checkpoint_id: str) -> CheckpointTuple | None:
        """A checkpoint inside a subgraph: its namespace from the recorded view, else a search."""
        recorded = self.recorded(checkpoint_id)
        if recorded is not None and recorded.namespace:
            config = thread_config(thread_id, checkpoint_id)
            config["configurable"]["checkpoint_ns"] = recorded.namespace
            return self.saver.get_tuple(config)  # type: ignore[arg-type]
        return next((t for t in self.history(thread_id, subgraphs=True) if t.checkpoint["id"] == checkpoint_id), None)

    def root_of(self, found: CheckpointTuple) -> CheckpointTuple:
        """The root graph's checkpoint a subgraph's checkpoint runs under (itself for a root one):
        the step whose task ran the subgraph, from LangGraph's ``parents`` metadata."""
        root_id = (found.metadata or {}).get("parents", {}).get("")
        if not found.config["configurable"].get("checkpoint_ns") or root_id is None:
            return found
        return self.get_tuple(found.config["configurable"]["thread_id"], str(root_id))

    def head_of(self, execution: Execution) -> str | None:
        """The recorded head, else the thread's latest checkpoint (a run whose process died)."""
        if execution.head_checkpoint_id:
            return execution.head_checkpoint_id
        found = self.saver.get_tuple(thread_config(execution.thread_id))  # type: ignore[arg-type]
        return str(found.checkpoint["id"]) if found else None

    def history(
        self, thread_id: str, subgraphs: bool = False, before: str | None = None, limit: int | None = None
    ) -> list[CheckpointTuple]:
        """A thread's checkpoints, newest first: the root graph's, or with ``subgraphs``
        those of every namespace (a saver lists them all when no namespace is given);
        ``before`` and ``limit`` as the saver's ``list`` takes them (a page of a long thread)."""
        config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
        if not subgraphs:
            config["configurable"]["checkpoint_ns"] = ""
        before_config = thread_config(thread_id, before) if before else None
        return list(self.saver.list(config, before=before_config, limit=limit))  # type: ignore[arg-type]

    def values(self, found: CheckpointTuple) -> dict[str, Any]:
        return visible_values(found.checkpoint)

    def list(
        self, execution_id: str, thread_id: str, limit: int | None = None, before: str | None = None
    ) -> list[Checkpoint]:
        before_config = thread_config(thread_id, before) if before else None
        if before:
            self.get_tuple(thread_id, before)
        tuples = list(
            self.saver.list(thread_config(thread_id), before=before_config, limit=limit)  # type: ignore[arg-type]
        )
        writes = self._writes_by_checkpoint(thread_id, [t.parent_config for t in tuples], tuples)
        return [self.to_checkpoint(execution_id, t, writes) for t in tuples]

    def to_checkpoint(
        self, execution_id: str, found: CheckpointTuple, writes: dict[str, dict[str, Any]] | None = None
    ) -> Checkpoint:
        parent = (found.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        if writes is None:
            writes = self._writes_by_checkpoint(found.config["configurable"]["thread_id"], [found.parent_config])
        metadata: dict[str, Any] = dict(found.metadata or {})
        step_writes = writes.get(parent, {}) if parent else {}
        if metadata.get("source") == "update" and step_writes:
            step_writes = {STATE_EDIT: {k: v for node in step_writes.values() for k, v in node.items()}}
        return Checkpoint(
            id=str(found.checkpoint["id"]),
            execution_id=execution_id,
            step=int(metadata.get("step", -1)),
            source=str(metadata.get("source", "")),
            writes=step_writes,
            next=next_nodes(found),
            parent_id=parent,
            created_at=str(found.checkpoint.get("ts", "")),
            replayed=list(metadata.get("wtb_replayed", [])),
            namespace=str(found.config["configurable"].get("checkpoint_ns", "")),
        )

    def _writes_by_checkpoint(
        self, thread_id: str, parents: Iterable[Any], known: Iterable[CheckpointTuple] = ()
    ) -> dict[str, dict[str, Any]]:
        """``{checkpoint_id: {node: {channel: value}}}`` for the writes made from these checkpoints:
        their pending writes (``known`` tuples are not read again), each task's under the node
        its recorded task path names (``"?"`` where none was recorded)."""
        loaded = {str(t.checkpoint["id"]): t for t in known}
        paths = task_paths.of_thread(self.saver.conn, thread_id)
        result: dict[str, dict[str, Any]] = {}
        for parent in parents:
            if not parent:
                continue
            checkpoint_id = str(parent["configurable"]["checkpoint_id"])
            found = loaded.get(checkpoint_id) or self.saver.get_tuple(parent)
            for task_id, channel, value in (found.pending_writes if found else None) or []:
                if is_internal_channel(channel):
                    continue
                path = paths.get((thread_id, "", checkpoint_id, str(task_id)), "")
                node = task_paths.node_of(path)
                result.setdefault(checkpoint_id, {}).setdefault(node, {})[channel] = value
        return result

    def copy_to_thread(self, source: CheckpointTuple, thread_id: str, metadata: dict[str, Any]) -> str:
        """Store ``source`` as the first checkpoint of ``thread_id`` under a new id (a fork's root).

        The source's pending writes (what its next tasks produced in the parent's history)
        are not copied: a fork runs its next nodes again, with whatever state edits it got.
        """
        checkpoint = dict(source.checkpoint)
        checkpoint["id"] = str(uuid6(clock_seq=-1))
        checkpoint["ts"] = dt.datetime.now(dt.UTC).isoformat()
        config = thread_config(thread_id)
        stored = self.saver.put(
            config,  # type: ignore[arg-type]
            checkpoint,  # type: ignore[arg-type]
            {**(source.metadata or {}), **metadata},  # type: ignore[typeddict-item]
            checkpoint.get("channel_versions", {}),
        )
        return str(stored["configurable"]["checkpoint_id"])

    def check_serializable(self, values: dict[str, Any], what: str) -> tuple[str, bytes]:
        """Serialise ``values`` the way checkpoints are; name the key that cannot be stored."""
        for key, value in values.items():
            try:
                self.saver.serde.dumps_typed(value)
            except Exception as exc:
                raise NonSerializableStateError(
                    f"{what}: the value of {key!r} ({type(value).__name__}) cannot be stored in a "
                    f"checkpoint ({exc}). Use JSON-like values, dataclasses or pydantic models."
                ) from exc
        return self.saver.serde.dumps_typed(values)


def visible_values(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint's channel values but LangGraph's own (triggers, ``__start__``…)."""
    channels = checkpoint.get("channel_values", {})
    return {k: v for k, v in channels.items() if not is_internal_channel(k)}


def next_nodes(found: CheckpointTuple) -> list[str]:
    """The nodes a checkpoint will run next: its trigger channels still holding a value."""
    channels = found.checkpoint.get("channel_values", {})
    nodes = sorted(name[len(_TRIGGER) :] for name in channels if name.startswith(_TRIGGER))
    if "__start__" in channels:
        nodes.insert(0, "__start__")
    return nodes
