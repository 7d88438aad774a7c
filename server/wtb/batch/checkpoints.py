"""A thread's LangGraph checkpoints, carried between data dirs through the checkpointer's public API.

A variant's checkpoints are made in the worker's own data dir and must end up in the
driver's; a batch from a checkpoint carries that checkpoint the other way. Both go
through LangGraph's public ``BaseCheckpointSaver`` methods only, never through the
saver's SQL tables:

- **Reading** (:func:`export_thread`, in the worker): ``saver.list(config)`` gives every
  checkpoint of the thread, in every namespace, as ``CheckpointTuple`` (config,
  checkpoint, metadata, parent_config, pending_writes). Each checkpoint and each pending
  write's value is serialised with the saver's own serializer (``saver.serde.dumps_typed``)
  in the process that ran the workflow, where every class in its state can be imported.
- **Writing** (:func:`import_checkpoints`, in the driver): ``put(config, checkpoint,
  metadata, new_versions)``, oldest first, with the config naming the parent checkpoint so
  parent links survive; then ``put_writes(config, writes, task_id, task_path)`` per task.

The saver that writes is a ``SqliteSaver`` on the connection WTB opens everywhere
(:func:`~wtb.engine.checkpointer.open_checkpoint_db`) with a serializer of ours,
:class:`PassThroughSerializer`: ``put`` hands it the checkpoint and ``put_writes`` each
value, and it answers with the bytes the worker's serializer made. So the driver never
decodes a worker's state. It could not always do so faithfully: a class of the
workflow's (the workflow file is imported under a module name made from its path, which
differs between a worker's temporary workspace and the driver's) cannot be rebuilt in
the driver, and LangGraph's serializer then returns the object's serialised fields
instead, which storing again would keep for good. The same serializer reads without
decoding (``loads_typed`` returns :class:`Encoded`), which is how the runner reads the
checkpoint a batch starts from. This relies on ``SqliteSaver`` storing a checkpoint as one
serialised value and reading only its ``id``; a saver that looked inside would fail on the
missing keys, loudly (and the tests would say so).

Idempotency rests on the saver's upsert semantics, which ``tests/batch`` verifies:
``SqliteSaver.put`` is an ``INSERT OR REPLACE`` keyed by (thread, namespace, checkpoint
id) and ``put_writes`` an ``INSERT OR IGNORE`` (``OR REPLACE`` when every write is a
special channel) keyed by (thread, namespace, checkpoint id, task id, index). A bundle
merged twice writes the same keys with the same bytes, so nothing changes.

Pending writes come back from ``list`` as ``(task_id, channel, value)``, without the
``task_path`` they were stored with (LangGraph orders a step's writes by it, and WTB names
the node that wrote them from it). :func:`task_paths` rebuilds it from the public
``PregelTask.path`` of each checkpoint's tasks (``graph.get_state_history``), in the text
form LangGraph passes to ``put_writes``. Writes of a task that is not among a checkpoint's
next tasks (a resume value, a state edit) keep ``""``, as LangGraph's own null task does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple

logger = logging.getLogger(__name__)

Typed = tuple[str, bytes]


class WriteGroup(TypedDict):
    """The pending writes of one task on one checkpoint, in the saver's order."""

    task_id: str
    task_path: str
    writes: list[list[Any]]  # [channel, serde type, serde bytes]


class CheckpointEntry(TypedDict):
    """One checkpoint as a bundle carries it: plain msgpack data."""

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_id: str | None
    checkpoint: list[Any]  # [serde type, serde bytes]
    metadata: dict[str, Any]
    new_versions: dict[str, Any]
    writes: list[WriteGroup]


@dataclass(frozen=True)
class Encoded:
    """A value as the worker's serializer wrote it; :class:`PassThroughSerializer` keeps it as is."""

    typed: Typed


class EncodedCheckpoint(dict[str, Any]):
    """What ``put`` is given: the checkpoint's id (the saver keys the row by it) and its serialised form."""

    def __init__(self, checkpoint_id: str, typed: Typed) -> None:
        super().__init__(id=checkpoint_id)
        self.typed = typed


class PassThroughSerializer:
    """A LangGraph ``SerializerProtocol`` that neither decodes nor re-encodes.

    ``dumps_typed`` accepts only what this module prepared (:class:`Encoded`,
    :class:`EncodedCheckpoint`) and returns its bytes; anything else is an error, so a
    saver that started serialising something new would fail loudly instead of storing
    something else. ``loads_typed`` wraps what the saver read in :class:`Encoded`.
    """

    def dumps_typed(self, obj: Any) -> Typed:
        if isinstance(obj, (Encoded, EncodedCheckpoint)):
            return obj.typed
        raise TypeError(f"PassThroughSerializer stores only values serialised by a worker, not {type(obj).__name__}.")

    def loads_typed(self, data: Typed) -> Encoded:
        kind, value = data
        return Encoded((str(kind), bytes(value)))


def saver_for(conn: Any) -> BaseCheckpointSaver[str]:
    """LangGraph's ``SqliteSaver`` on ``conn`` with the pass-through serializer."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    return SqliteSaver(conn, serde=PassThroughSerializer())


def _config(thread_id: str, namespace: str | None = None, checkpoint_id: str | None = None) -> Any:
    configurable: dict[str, Any] = {"thread_id": thread_id}
    if namespace is not None:
        configurable["checkpoint_ns"] = namespace
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


# -- reading --------------------------------------------------------------------------------


def export_thread(
    saver: BaseCheckpointSaver[Any], thread_id: str, paths: Mapping[tuple[str, str], str] | None = None
) -> list[CheckpointEntry]:
    """Every checkpoint of ``thread_id`` (all namespaces), oldest first, serialised by ``saver.serde``.

    ``paths`` maps ``(checkpoint id, task id)`` to the task's path (see :func:`task_paths`).
    """
    tuples = list(saver.list(_config(thread_id)))  # newest first; no namespace given: all of them
    known = {(_namespace(t), _id(t.config)): t for t in tuples}
    entries = []
    for found in reversed(tuples):
        namespace, parent_id = _namespace(found), _id(found.parent_config)
        parent = known.get((namespace, parent_id)) if parent_id else None
        versions = dict(found.checkpoint.get("channel_versions", {}))
        before = dict(parent.checkpoint.get("channel_versions", {})) if parent else {}
        entries.append(
            CheckpointEntry(
                thread_id=thread_id,
                checkpoint_ns=namespace,
                checkpoint_id=str(_id(found.config)),
                parent_id=parent_id,
                checkpoint=list(saver.serde.dumps_typed(found.checkpoint)),
                metadata=dict(found.metadata or {}),
                new_versions={k: v for k, v in versions.items() if before.get(k) != v},
                writes=_write_groups(saver, found, paths or {}),
            )
        )
    return entries


def read_checkpoint(conn: Any, thread_id: str, checkpoint_id: str, new_versions: Mapping[str, Any]) -> CheckpointEntry:
    """One root-namespace checkpoint as stored (not decoded), without its pending writes,
    with the channel values WTB's saver stored by reference put back inside (the receiver's
    database does not hold them).

    ``new_versions`` is what ``put`` will be told changed (this reader cannot look inside).
    """
    found = saver_for(conn).get_tuple(_config(thread_id, "", checkpoint_id))
    if found is None:
        raise KeyError(f"Thread {thread_id} has no checkpoint {checkpoint_id}.")
    encoded = cast(Encoded, found.checkpoint)
    from wtb.engine.state_bytes import self_contained

    return CheckpointEntry(
        thread_id=thread_id,
        checkpoint_ns="",
        checkpoint_id=checkpoint_id,
        parent_id=_id(found.parent_config),
        checkpoint=list(self_contained(conn, encoded.typed)),  # its stored values put back inside
        metadata=dict(found.metadata or {}),
        new_versions=dict(new_versions),
        writes=[],
    )


def _write_groups(
    saver: BaseCheckpointSaver[Any], found: CheckpointTuple, paths: Mapping[tuple[str, str], str]
) -> list[WriteGroup]:
    """The checkpoint's pending writes, grouped by task in the order ``list`` gave them."""
    checkpoint_id = str(_id(found.config))
    groups: list[WriteGroup] = []
    for task_id, channel, value in found.pending_writes or []:
        if not groups or groups[-1]["task_id"] != task_id:
            path = paths.get((checkpoint_id, task_id), "")
            groups.append(WriteGroup(task_id=task_id, task_path=path, writes=[]))
        groups[-1]["writes"].append([channel, *saver.serde.dumps_typed(value)])
    return groups


def _namespace(found: CheckpointTuple) -> str:
    return str(found.config["configurable"].get("checkpoint_ns", ""))


def _id(config: Any) -> str | None:
    found = (config or {}).get("configurable", {}).get("checkpoint_id")
    return str(found) if found else None


# -- task paths -----------------------------------------------------------------------------


def task_paths(graph: Any, saver: Any, thread_id: str) -> dict[tuple[str, str], str]:
    """``{(checkpoint id, task id): task path}`` for the root namespace of ``thread_id``.

    From the compiled graph's public ``get_state_history``: each snapshot's ``tasks`` are
    the tasks run from that checkpoint, whose writes are its pending writes. Best effort:
    if the history cannot be read, the writes keep an empty path (logged).
    """
    from wtb.config import PauseStrategyConfig
    from wtb.engine.controller import compile_graph

    paths: dict[tuple[str, str], str] = {}
    try:
        compiled = compile_graph(graph, saver, PauseStrategyConfig())
        for snapshot in compiled.get_state_history(_config(thread_id, "")):
            checkpoint_id = str(snapshot.config["configurable"]["checkpoint_id"])
            for task in snapshot.tasks:
                paths[(checkpoint_id, str(task.id))] = task_path_text(task.path)
    except Exception:
        logger.warning("could not read the task paths of thread %s; its writes keep none", thread_id, exc_info=True)
    return paths


def task_path_text(path: Iterable[Any] | str | int) -> str:
    """A ``PregelTask.path`` in the text form LangGraph's loop passes to ``put_writes``.

    A tuple is ``~`` and its parts joined by ``", "``; an integer is zero-padded to ten
    digits (so paths sort by it); anything else is its ``str``.
    """
    if isinstance(path, (tuple, list)):
        return "~" + ", ".join(task_path_text(part) for part in path)
    if isinstance(path, int):
        return f"{path:010d}"
    return str(path)


# -- writing --------------------------------------------------------------------------------


def import_checkpoints(path: Path, entries: Iterable[CheckpointEntry]) -> int:
    """Store ``entries`` (oldest first) into the checkpoint database at ``path``; returns how many.

    Storing the same entries again writes the same rows with the same bytes (see the
    module's docstring), so it changes nothing.
    """
    from langgraph.checkpoint.base import WRITES_IDX_MAP

    from wtb.engine.checkpointer import open_checkpoint_db

    conn = open_checkpoint_db(path)
    count = 0
    try:
        saver = saver_for(conn)
        for entry in entries:
            config = _config(entry["thread_id"], entry["checkpoint_ns"], entry["parent_id"])
            kind, blob = entry["checkpoint"]
            stored = saver.put(
                config,
                cast(Any, EncodedCheckpoint(entry["checkpoint_id"], (str(kind), bytes(blob)))),
                cast(Any, dict(entry["metadata"])),
                dict(entry["new_versions"]),
            )
            for group in entry["writes"]:
                writes = [(str(channel), Encoded((str(kind), bytes(blob)))) for channel, kind, blob in group["writes"]]
                # A task's special writes (error, interrupt…) have fixed indexes; its others are
                # numbered by position in the call, so they go in a call of their own, as the
                # loop stores them, and keep the indexes they had.
                special = [w for w in writes if w[0] in WRITES_IDX_MAP]
                regular = [w for w in writes if w[0] not in WRITES_IDX_MAP]
                for chosen in (special, regular):
                    if chosen:
                        saver.put_writes(stored, chosen, group["task_id"], group["task_path"])
            count += 1
    finally:
        conn.close()
    return count
