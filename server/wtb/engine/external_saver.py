"""``WTBSaver``: WTB's tracking checkpointer for any LangGraph app.

``graph.compile(checkpointer=WTBSaver("."))`` stores the app's checkpoints in the data dir
a ``WTBTestBench`` opens for the same workspace, snapshots the workspace's files at every
checkpoint exactly as WTB's own runs do (a :class:`~wtb.engine.checkpointer.TrackingSaver`
whose hooks are a :class:`~wtb.engine.recorder.RunRecorder` per LangGraph run), and keeps
one execution per LangGraph thread, so that runs made outside WTB (an app, ``langgraph
dev``, a pytest) show up in ``list_executions`` and the tree with their files.

* The execution of a thread is created at its first checkpoint, with the project named by
  ``config["configurable"]["wtb_project"]`` (else ``"external"``) and the app's own
  ``thread_id``. Its id is derived from the thread id (``external_execution_id``), or is
  the execution's own id for a WTB thread (``wtb-<id>``) the app continues.
* Its head is the root graph's latest checkpoint; its status is ``paused`` while that
  checkpoint has nodes due next and ``completed`` when it has none: a checkpointer does
  not see a run start, fail or end.
* ``delete_thread``, ``prune`` and ``delete_for_runs`` keep the executions and the file
  links in step with the checkpoints; ``copy_thread`` makes the copy an execution forked
  from the source's head.

Every method takes one lock, so LangGraph's background checkpoint thread (sync graphs)
and an event loop (``astream``; the async methods run the sync ones in a worker thread,
so a snapshot never blocks the loop) can share one saver.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from langgraph.checkpoint.base import CheckpointTuple

from wtb.config import FileTrackingConfig
from wtb.engine import task_paths
from wtb.engine.checkpointer import TrackingSaver, open_checkpoint_db
from wtb.engine.recorder import RunRecorder
from wtb.engine.services import Services
from wtb.engine.state_adapter import next_nodes
from wtb.engine.thread_copy import Keep, ThreadCopier, namespace_of
from wtb.errors import InvalidArgumentError, UnknownExecutionError, UnsafePathError
from wtb.models import Execution, ExecutionStatus

#: The project of a thread whose config names none (``configurable["wtb_project"]``).
EXTERNAL_PROJECT = "external"
#: How many threads keep their run's recorder in memory (a long-lived server sees many).
RECORDERS_KEPT = 256
PRUNE_STRATEGIES = ("keep_latest", "delete")
_INTERNAL_CONFIG = ("thread_id", "checkpoint_ns", "checkpoint_id", "checkpoint_map")


def default_data_dir(workspace: Path) -> Path:
    """The data dir ``WTBTestBench.create`` opens for a workspace: its real ``.wtb`` folder."""
    data_dir = workspace / ".wtb"
    if data_dir.is_symlink():
        raise UnsafePathError(
            f"{data_dir} is a symlink; WTB keeps a workspace's data only in a real .wtb folder "
            "(remove the link, or pass a data directory explicitly)"
        )
    return data_dir


def _config(thread_id: str, namespace: str = "", checkpoint_id: str | None = None) -> Any:
    configurable = {"thread_id": thread_id, "checkpoint_ns": namespace}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def external_execution_id(thread_id: str) -> str:
    """The execution id of a thread an app made: the same for the same thread id, in any process."""
    return hashlib.sha256(thread_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass
class _Shared:
    """The saver's changing parts: one lock for every method, and the recorders of the runs."""

    mutex: threading.RLock = field(default_factory=threading.RLock)
    closed: bool = False
    #: thread id -> (LangGraph run id, the recorder of that run's checkpoints), least recent first
    recorders: OrderedDict[str, tuple[str, RunRecorder]] = field(default_factory=OrderedDict)
    #: the recorder of the put under way
    current: RunRecorder | None = None


class WTBSaver(TrackingSaver):
    """A LangGraph checkpointer that records every thread as a WTB execution, files included.

    ``workspace`` is the folder whose files are snapshotted; ``data_dir`` defaults to the
    one ``WTBTestBench.create(workspace=...)`` uses (``<workspace>/.wtb``). Close it (or
    use it as a context manager) when the app is done.
    """

    def __init__(
        self,
        workspace: str | Path = ".",
        data_dir: str | Path | None = None,
        *,
        file_tracking: FileTrackingConfig | None = None,
    ) -> None:
        root = Path(workspace).resolve()
        if not root.is_dir():
            raise InvalidArgumentError(f"Workspace {root} is not a directory.")
        directory = Path(data_dir).resolve() if data_dir is not None else default_data_dir(root)
        self.workspace = root
        self.data_dir = directory
        self.services = Services(root, directory, file_tracking or FileTrackingConfig())
        try:
            conn = open_checkpoint_db(self.services.checkpoint_path)
        except BaseException:
            self.services.close()
            raise
        super().__init__(conn, take_snapshot=self._take_snapshot_hook, on_checkpoint=self._on_checkpoint_hook)
        self.setup()
        # LangGraph may use a shallow copy of the saver (``with_allowlist``): everything that
        # changes lives in one object both share.
        self._shared = _Shared()
        self._mutex = self._shared.mutex
        task_paths.setup(conn)
        self._copier = ThreadCopier(_Unrecorded(self), conn, lambda thread: task_paths.of_thread(conn, thread))
        self._copier.setup()
        for thread_id in self._copier.recover():  # a prune a crash cut short
            self._after_delete(thread_id)

    # -- life cycle --

    def close(self) -> None:
        """Close the checkpoint connection and the data dir's stores (idempotent)."""
        with self._mutex:
            if self._shared.closed:
                return
            self._shared.closed = True
            self._shared.recorders.clear()
            try:
                self.conn.close()
            finally:
                self.services.close()

    @property
    def closed(self) -> bool:
        return self._shared.closed

    def __enter__(self) -> WTBSaver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> WTBSaver:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.close)

    # -- the sync API --

    def get_tuple(self, config: Any) -> CheckpointTuple | None:
        with self._mutex:
            return super().get_tuple(config)

    def list(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        # Read whole under the lock: LangGraph may put from another thread between two items.
        with self._mutex:
            found = [*super().list(config, filter=filter, before=before, limit=limit)]
        yield from found

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        configurable = config.get("configurable", {})
        thread_id = str(configurable["thread_id"])
        namespace = str(configurable.get("checkpoint_ns", ""))
        with self._mutex:
            execution = self._execution_of(thread_id, configurable)
            self._shared.current = self._recorder(execution, thread_id, namespace, configurable, metadata)
            try:
                stored = super().put(config, checkpoint, metadata, new_versions)
            finally:
                self._shared.current = None
            if namespace == "":
                found = CheckpointTuple(config=stored, checkpoint=checkpoint, metadata=metadata)
                status = ExecutionStatus.PAUSED if next_nodes(found) else ExecutionStatus.COMPLETED
                self.services.executions.set_head(execution.id, str(checkpoint["id"]))
                if execution.status is not status:
                    self.services.executions.set_status(execution.id, status)
            return stored

    def put_writes(
        self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        with self._mutex:
            super().put_writes(config, writes, task_id, task_path)
            task_paths.record(self.conn, config, task_id, task_path)

    def delete_thread(self, thread_id: str) -> None:
        """Delete the thread's checkpoints and writes, and its execution with its file links."""
        with self._mutex:
            super().delete_thread(thread_id)
            task_paths.forget(self.conn, [str(thread_id)])
            self._shared.recorders.pop(str(thread_id), None)
            self._forget_execution(str(thread_id))

    def get_delta_channel_history(self, *, config: Any, channels: Sequence[str]) -> Mapping[str, Any]:
        with self._mutex:
            return super().get_delta_channel_history(config=config, channels=channels)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint (all namespaces, same ids) and write of a thread into another:
        WTB's fork of a whole thread. The copy becomes an execution forked from the source's head;
        its checkpoints share the source's file snapshots (they are the same checkpoints)."""
        source, target = str(source_thread_id), str(target_thread_id)
        if source == target:
            return
        with self._mutex:
            copied = self._copier.copy(source, target)
            if copied <= 0:
                return
            self._shared.recorders.pop(target, None)
            parent = self._find_execution(source)
            head = self._latest_root(target)
            executions = self.services.executions
            if self._find_execution(target) is None:
                self._create_execution(
                    target,
                    parent.project if parent else EXTERNAL_PROJECT,
                    parent.config.get("configurable", {}) if parent else {},
                    parent=(parent.id, parent.head_checkpoint_id or head) if parent else None,
                )
            child = self._find_execution(target)
            if child is not None and head is not None:
                executions.set_head(child.id, head)
                executions.set_status(child.id, self._status_at(target, head))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """``"delete"``: as :meth:`delete_thread` for each thread. ``"keep_latest"``: only the
        latest checkpoint of each namespace stays, with the ancestors (and their writes) that
        LangGraph's delta channels need to rebuild their values; the execution's head moves
        to the root graph's latest checkpoint."""
        if strategy not in PRUNE_STRATEGIES:
            choices = ", ".join(PRUNE_STRATEGIES)
            raise InvalidArgumentError(f"Unknown prune strategy {strategy!r}; use one of {choices}.")
        with self._mutex:
            for thread_id in (str(t) for t in thread_ids):
                if strategy == "delete":
                    self.delete_thread(thread_id)
                    continue
                if self._copier.rewrite(thread_id, _among(self._kept_checkpoints(thread_id))):
                    self._after_delete(thread_id)

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (every thread and namespace) that the given LangGraph runs
        made, with their writes; a thread left without checkpoints loses its execution."""
        runs = {str(r) for r in run_ids}
        if not runs:
            return
        with self._mutex:
            for thread_id in self._threads_of_runs(runs):
                if self._copier.rewrite(thread_id, lambda found: str((found.metadata or {}).get("run_id")) not in runs):
                    self._after_delete(thread_id)

    # -- the async API: the sync methods in a worker thread, so a snapshot never blocks the loop --

    async def aget_tuple(self, config: Any) -> CheckpointTuple | None:
        return await asyncio.to_thread(self.get_tuple, config)

    async def alist(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        found = await asyncio.to_thread(lambda: [*self.list(config, filter=filter, before=before, limit=limit)])
        for item in found:
            yield item

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.delete_thread, thread_id)

    async def aget_delta_channel_history(self, *, config: Any, channels: Sequence[str]) -> Mapping[str, Any]:
        return await asyncio.to_thread(lambda: self.get_delta_channel_history(config=config, channels=channels))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await asyncio.to_thread(self.copy_thread, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await asyncio.to_thread(lambda: self.prune(thread_ids, strategy=strategy))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await asyncio.to_thread(self.delete_for_runs, run_ids)

    # -- executions --

    def _find_execution(self, thread_id: str) -> Execution | None:
        """The execution whose LangGraph thread this is, if it has one."""
        candidates = [external_execution_id(thread_id)]
        if thread_id.startswith("wtb-"):
            candidates.insert(0, thread_id[len("wtb-") :])
        for execution_id in candidates:
            try:
                execution = self.services.executions.get(execution_id)
            except UnknownExecutionError:
                continue
            if execution.thread_id == thread_id:
                return execution
        return None

    def _execution_of(self, thread_id: str, configurable: Mapping[str, Any]) -> Execution:
        found = self._find_execution(thread_id)
        if found is not None:
            return found
        project = str(configurable.get("wtb_project") or EXTERNAL_PROJECT)
        return self._create_execution(thread_id, project, configurable)

    def _create_execution(
        self,
        thread_id: str,
        project: str,
        configurable: Mapping[str, Any],
        parent: tuple[str, str | None] | None = None,
    ) -> Execution:
        """A new execution row for an app's thread, with the app's ``thread_id`` (imported as a
        row: the store's ``create`` names threads ``wtb-<id>``)."""
        execution_id = external_execution_id(thread_id)
        kept = {
            key: value
            for key, value in configurable.items()
            if key not in _INTERNAL_CONFIG
            and not key.startswith("__")
            and isinstance(value, str | int | float | bool | type(None))
        }
        row = {
            "id": execution_id,
            "project": project,
            "status": ExecutionStatus.PAUSED.value,
            "thread_id": thread_id,
            "name": thread_id,
            "parent_id": parent[0] if parent else None,
            "parent_checkpoint_id": parent[1] if parent else None,
            "config": json.dumps({"configurable": kept}),
            "created_at": time.time(),
        }
        self.services.executions.import_rows({"columns": list(row), "rows": [list(row.values())]})
        return self.services.executions.get(execution_id)

    def _forget_execution(self, thread_id: str) -> None:
        """Delete the execution of a thread that has no checkpoints any more, with its file links
        (those of checkpoints another thread still holds, a copy's, pass to that thread's execution)."""
        execution = self._find_execution(thread_id)
        if execution is None:
            return
        tracker = self.services.tracker
        if tracker is not None:
            self._hand_over_links(execution.id, thread_id)
            tracker.delete_execution(execution.id)
        self.services.executions.delete([execution.id])

    def _hand_over_links(self, execution_id: str, thread_id: str) -> None:
        tracker = self.services.tracker
        if tracker is None:
            return
        links = tracker.checkpoint_links(execution_id)
        if not links:
            return
        holders = self._holders(execution_id, set(links))
        for checkpoint_id, holder_thread in holders.items():
            holder = self._find_execution(holder_thread)
            if holder is not None:
                snapshot, outputs = links[checkpoint_id]
                tracker.link_checkpoint(checkpoint_id, holder.id, snapshot, outputs)

    def _holders(self, execution_id: str, checkpoint_ids: set[str]) -> dict[str, str]:
        """``{checkpoint id: thread}`` for those of ``checkpoint_ids`` that a copy of the
        execution's thread holds too (``copy_thread`` keeps ids; its copies are its children)."""
        holders: dict[str, str] = {}
        children = [e for e in self.services.executions.list(limit=10**9) if e.parent_id == execution_id]
        for child in children:
            for found in super().list({"configurable": {"thread_id": child.thread_id}}):
                checkpoint_id = str(found.checkpoint["id"])
                if checkpoint_id in checkpoint_ids:
                    holders.setdefault(checkpoint_id, child.thread_id)
        return holders

    def _after_delete(self, thread_id: str) -> None:
        """Keep a thread's execution in step after some of its checkpoints were deleted."""
        self._shared.recorders.pop(thread_id, None)
        head = self._latest_root(thread_id)
        left = next(iter(super().list({"configurable": {"thread_id": thread_id}}, limit=1)), None)
        if left is None:
            self._forget_execution(thread_id)
            return
        execution = self._find_execution(thread_id)
        if execution is None:
            return
        if head is None:
            self.services.executions.set_head(execution.id, None)
            return
        if execution.head_checkpoint_id != head and not self._exists(thread_id, execution.head_checkpoint_id):
            self.services.executions.set_head(execution.id, head)
            self.services.executions.set_status(execution.id, self._status_at(thread_id, head))

    # -- checkpoints --

    def _recorder(
        self,
        execution: Execution,
        thread_id: str,
        namespace: str,
        configurable: Mapping[str, Any],
        metadata: Mapping[str, Any],
    ) -> RunRecorder:
        """The recorder of the LangGraph run this put belongs to (a new run: a new recorder,
        whose files before are those of the checkpoint the run starts from)."""
        run_id = str(metadata.get("run_id") or "")
        kept = self._shared.recorders.get(thread_id)
        if kept is not None and kept[0] == run_id:
            self._shared.recorders.move_to_end(thread_id)
            return kept[1]
        tracker = self.services.tracker
        parent = configurable.get("checkpoint_id")
        previous = None
        if tracker is not None:
            if parent and namespace == "":
                previous = tracker.checkpoint_snapshot(str(parent))
            elif execution.head_checkpoint_id:
                previous = tracker.checkpoint_snapshot(execution.head_checkpoint_id)
        recorder = RunRecorder(execution.id, tracker, previous)
        self._shared.recorders[thread_id] = (run_id, recorder)
        while len(self._shared.recorders) > RECORDERS_KEPT:
            self._shared.recorders.popitem(last=False)
        return recorder

    def _take_snapshot_hook(self, checkpoint: dict[str, Any], metadata: dict[str, Any]) -> Any:
        current = self._shared.current
        return current.take_snapshot(checkpoint, metadata) if current is not None else None

    def _on_checkpoint_hook(
        self, checkpoint: dict[str, Any], metadata: dict[str, Any], parent: str | None, snapshot: Any
    ) -> None:
        current = self._shared.current
        if current is not None:
            current.on_checkpoint(checkpoint, metadata, parent, snapshot)

    def _latest_root(self, thread_id: str) -> str | None:
        found = super().get_tuple(_config(thread_id))
        return str(found.checkpoint["id"]) if found is not None else None

    def _exists(self, thread_id: str, checkpoint_id: str | None) -> bool:
        return bool(checkpoint_id) and super().get_tuple(_config(thread_id, "", checkpoint_id)) is not None

    def _status_at(self, thread_id: str, checkpoint_id: str) -> ExecutionStatus:
        found = super().get_tuple(_config(thread_id, "", checkpoint_id))
        return ExecutionStatus.PAUSED if found is not None and next_nodes(found) else ExecutionStatus.COMPLETED

    def _kept_chain(self, thread_id: str, namespace: str) -> builtins.list[str]:
        """The latest checkpoint of a namespace, and the ancestors its delta channels are rebuilt
        from: back to the nearest one holding a stored value of every delta channel."""
        found = super().get_tuple(_config(thread_id, namespace))
        if found is None:
            return []
        chain = [str(found.checkpoint["id"])]
        counters = (found.metadata or {}).get("counters_since_delta_snapshot") or {}
        missing = {str(ch) for ch in counters} - set(found.checkpoint.get("channel_values", {}))
        parent = found.parent_config
        while missing and parent is not None:
            ancestor = super().get_tuple(parent)
            if ancestor is None:
                break
            chain.append(str(ancestor.checkpoint["id"]))
            missing -= set(ancestor.checkpoint.get("channel_values", {}))
            parent = ancestor.parent_config
        return chain

    def _kept_checkpoints(self, thread_id: str) -> set[str]:
        """What ``prune(strategy="keep_latest")`` keeps: each namespace's latest checkpoint and its chain."""
        namespaces = {namespace_of(t) for t in super().list({"configurable": {"thread_id": thread_id}})}
        return {cid for namespace in namespaces for cid in self._kept_chain(thread_id, namespace)}

    def _threads_of_runs(self, runs: set[str]) -> builtins.list[str]:
        """The threads holding a checkpoint one of these LangGraph runs made (a metadata filter)."""
        threads: dict[str, None] = {}
        for run_id in sorted(runs):
            for found in super().list(None, filter={"run_id": run_id}):
                threads.setdefault(str(found.config["configurable"]["thread_id"]), None)
        return builtins.list(threads)


def _among(kept: set[str]) -> Keep:
    return lambda found: str(found.checkpoint["id"]) in kept


class _Unrecorded:
    """The saver's storage without WTB's recording: what a thread copy or rewrite writes
    through (no file snapshot, no execution bookkeeping; task paths kept)."""

    def __init__(self, saver: WTBSaver) -> None:
        self._saver = saver

    def list(self, config: Any) -> Iterator[CheckpointTuple]:
        return TrackingSaver.list(self._saver, config)

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        return TrackingSaver.put(self._saver, config, checkpoint, metadata, new_versions)

    def put_writes(self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        TrackingSaver.put_writes(self._saver, config, writes, task_id, task_path)
        task_paths.record(self._saver.conn, config, task_id, task_path)

    def delete_thread(self, thread_id: str) -> None:
        TrackingSaver.delete_thread(self._saver, thread_id)
        task_paths.forget(self._saver.conn, [thread_id])
