"""Fork: a new execution from any checkpoint, O(1) in history and workspace.

The fork's first checkpoint is a copy of the parent's checkpoint in the fork's own thread
(one row, plus the parent's pending writes) linked to the *same* file snapshot: no blob
is copied. State edits go through LangGraph's ``update_state`` so reducers apply, as in
LangGraph's own time travel; that needs the graph, so only then is workflow code imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from langgraph.checkpoint.serde.types import INTERRUPT

from wtb.config import PauseStrategyConfig
from wtb.engine import task_paths
from wtb.engine.checkpointer import TrackingSaver, open_checkpoint_db
from wtb.engine.controller import compile_graph
from wtb.engine.inspection import get_execution
from wtb.engine.recorder import RunRecorder
from wtb.engine.runs import run_config
from wtb.engine.services import Services
from wtb.engine.state_adapter import thread_config
from wtb.engine.state_edits import edit_state
from wtb.engine.thread_copy import ThreadCopier
from wtb.engine.views import CheckpointView, TaskView, ViewRecorder, encode
from wtb.models import Execution, ExecutionStatus


class _FixedSnapshot:
    """A tracker stand-in whose workspace is the parent's snapshot (the fork has no files of its own yet)."""

    def __init__(self, tracker: Any, snapshot: str) -> None:
        self._tracker = tracker
        self._snapshot = snapshot

    def snapshot(self) -> str:
        return self._snapshot

    def snapshot_for(
        self, checkpoint_id: str, execution_id: str, previous: str | None, *, link: bool = True
    ) -> tuple[str, dict[str, str | None]]:
        """The parent's snapshot; the recorder links it once the checkpoint is stored (it asks ``link=False``)."""
        return self._snapshot, {}

    def changes(self, old: str | None, new: str) -> dict[str, str | None]:
        return {}

    def link_checkpoints(self, execution_id: str, links: Any) -> None:
        self._tracker.link_checkpoints(execution_id, links)

    def link_stop(self, checkpoint_id: str, execution_id: str, snapshot_id: str) -> None:
        self._tracker.link_stop(checkpoint_id, execution_id, snapshot_id)


def fork_execution(
    services: Services,
    execution_id: str,
    checkpoint_id: str,
    state_updates: Mapping[str, Any] | None,
    config: Mapping[str, Any] | None,
    name: str | None,
    as_node: str | None = None,
) -> Execution:
    """A new execution starting at ``checkpoint_id`` of another (same files, own thread).

    A state edit that LangGraph refuses (an :class:`AsNodeRequiredError` at a step of
    several nodes, a value that cannot be stored) leaves nothing behind.
    """
    parent = services.executions.get(execution_id)
    found = services.adapter.get_tuple(parent.thread_id, checkpoint_id)
    namespace = str(found.config["configurable"].get("checkpoint_ns", ""))
    if state_updates:
        services.adapter.check_serializable(dict(state_updates), f"State edits for a fork of {execution_id}")
    child = _new_child(services, parent, checkpoint_id, config, name)
    asking = not state_updates and bool(services.adapter.view(found, parent.id).interrupts())
    if namespace or asking:
        _fork_keeping_ids(services, parent, found, child, asking)
        if state_updates:  # at the copy of the step, which keeps its id: see engine/state_edits.py
            _edit_or_discard(services, child, checkpoint_id, dict(state_updates), as_node, namespace)
        return get_execution(services, child.id)
    try:
        root = services.adapter.copy_to_thread(
            found, child.thread_id, {"source": "fork", "wtb_fork_of": checkpoint_id}
        )
        _copy_view(services, services.adapter.view(found), root, child.id)
        tracker = services.tracker
        snapshot = tracker.checkpoint_snapshot(checkpoint_id) if tracker else None
        if tracker is not None and snapshot is not None:
            tracker.link_checkpoint(root, child.id, snapshot, {})
        services.executions.set_head(child.id, root)
        if state_updates:
            candidates = _step_nodes(services, parent, found)
            _apply_updates(services, child, root, dict(state_updates), as_node, candidates, tracker, snapshot)
    except BaseException:
        _discard(services, child)
        raise
    return get_execution(services, child.id)


def _new_child(
    services: Services, parent: Execution, checkpoint_id: str, config: Mapping[str, Any] | None, name: str | None
) -> Execution:
    """The fork's execution row: the parent's project and configuration, ``config`` on top."""
    merged: dict[str, Any] = {
        "configurable": {**parent.config.get("configurable", {}), **run_config(config).get("configurable", {})}
    }
    if "pause" in parent.config:
        merged["pause"] = parent.config["pause"]
    context = run_config(config).get("context", parent.config.get("context"))
    if context is not None:
        merged["context"] = context
    return services.executions.create(
        parent.project,
        initial_state=None,
        config=merged,
        status=ExecutionStatus.PAUSED,
        name=name,
        parent_id=parent.id,
        parent_checkpoint_id=checkpoint_id,
        batch_id=None,
    )


def _fork_keeping_ids(services: Services, parent: Execution, found: Any, child: Execution, asking: bool) -> None:
    """A fork whose first checkpoint keeps its id: one inside a subgraph, which its resume
    continues from there, or one whose tasks asked questions, which its resume answers.

    LangGraph derives task ids from the checkpoint's id, an interrupt's id from its task's,
    and a subgraph's namespace from the task that runs it. Under a new id, the questions
    would be asked again under new ids (answers given by the ids the fork shows would match
    none), and a subgraph would start over. So the fork's thread gets, *with their ids*, the
    step and its ancestors in its own namespace and in each one above it (the steps that ran
    the subgraph: LangGraph's ``parents`` metadata). Those steps' pending writes stay behind,
    except the questions of a step that asked some (:func:`~wtb.engine.thread_copy.paused_writes`).
    Resumed, LangGraph runs the root step's tasks again: a subgraph's task has the same id,
    finds its namespace's latest checkpoint (this step) and goes on from there; a question
    is answered by its id. A fork of the head where a run stopped inside several subgraphs
    at once takes each of them as it stood, so the fork waits on all their questions. The
    copies are the same checkpoints as the parent's: they share
    its recorded views and file links (each execution records its own view as it runs them).
    """
    namespace = str(found.config["configurable"]["checkpoint_ns"])
    checkpoint_id = str(found.checkpoint["id"])
    heads = {str(ns): str(cid) for ns, cid in ((found.metadata or {}).get("parents") or {}).items()}
    heads[namespace] = checkpoint_id
    if asking:
        asked = {record.id for record in services.adapter.view(found, parent.id).interrupts()}
        heads.update(_paused_below(services, parent.thread_id, found, asked))
    # The head where a run stopped inside several subgraphs: each of them as it stood (engine/stop_heads.py).
    stood = services.saver.stop_heads(parent.thread_id, checkpoint_id) if namespace else {}
    heads = {**heads, **stood, namespace: checkpoint_id}
    try:
        conn = services.saver.conn
        copier = ThreadCopier(services.saver, conn, lambda thread: task_paths.of_thread(conn, thread))
        copier.copy_up_to(parent.thread_id, child.thread_id, heads, asked=asking or bool(stood))
        if stood:
            services.saver.note_stopped_inside(child.thread_id, checkpoint_id, heads)
        views = []
        for head in heads.values():
            view = services.adapter.view(services.adapter.get_tuple(parent.thread_id, head), parent.id)
            views.append(encode(_not_run(view), child.id, services.saver.serde))
        services.views.put_many(views)
        services.executions.set_head(child.id, checkpoint_id)
    except BaseException:
        _discard(services, child)
        raise


def _paused_below(services: Services, thread_id: str, found: Any, asked: set[str]) -> dict[str, str]:
    """Where the subgraphs run by the step ``found`` stopped at its questions ``asked``:
    ``{namespace: checkpoint id}``, the newest such checkpoint of each namespace.

    A subgraph's question is answered by an id derived from the checkpoint its asking task
    ran under; started over in the fork (a new checkpoint), it would ask again under a new
    id, and answers given by the ids the fork shows would match none. With these steps in
    the fork's thread each subgraph goes on from its question, as it does in the parent's.
    """
    namespace = str(found.config["configurable"].get("checkpoint_ns", ""))
    prefix = f"{namespace}|" if namespace else ""
    step_id = str(found.checkpoint["id"])
    paused: dict[str, str] = {}
    for inner in services.adapter.history(thread_id, subgraphs=True):  # newest first
        inner_ns = str(inner.config["configurable"].get("checkpoint_ns", ""))
        if inner_ns in paused or inner_ns == namespace or not inner_ns.startswith(prefix):
            continue
        if str(((inner.metadata or {}).get("parents") or {}).get(namespace)) != step_id:
            continue
        writes = inner.pending_writes or []
        if any(channel == INTERRUPT and _interrupt_ids(value) & asked for _, channel, value in writes):
            paused[inner_ns] = str(inner.checkpoint["id"])
    return paused


def _interrupt_ids(value: Any) -> set[str]:
    """The ids of the interrupts an ``__interrupt__`` write holds (one, or a sequence of them)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return {str(item.id) for item in items if getattr(item, "id", None) is not None}


def _not_run(view: CheckpointView) -> CheckpointView:
    """A checkpoint's view before any of its tasks ran (its questions kept: they are asked again)."""
    return replace(view, tasks=[TaskView(id=t.id, name=t.name, interrupts=t.interrupts) for t in view.listed()])


def _copy_view(services: Services, source: CheckpointView, root: str, execution_id: str) -> None:
    """The fork's first checkpoint means what its source did, before any task ran from it."""
    tasks = [TaskView(id=t.id, name=t.name) for t in source.tasks]
    view = replace(source, checkpoint_id=root, parent_id=None, source="fork", tasks=tasks, edits=None, replayed=[])
    services.views.put_many([encode(view, execution_id, services.saver.serde)])


def _step_nodes(services: Services, parent: Execution, found: Any) -> list[str]:
    """The nodes of the step that made a checkpoint (its parent's tasks): what ``as_node`` may name."""
    before = (found.parent_config or {}).get("configurable", {}).get("checkpoint_id")
    if before is None:
        return []
    view = services.adapter.view(services.adapter.get_tuple(parent.thread_id, before))
    return sorted({task.name for task in view.tasks})


def _discard(services: Services, child: Execution) -> None:
    """Remove a fork that could not be made: its thread, views and row."""
    services.saver.delete_thread(child.thread_id)
    services.executions.delete([child.id])
    if services.tracker is not None:
        services.tracker.delete_execution(child.id)


def _edit_or_discard(
    services: Services, child: Execution, checkpoint_id: str, updates: dict[str, Any], as_node: str | None,
    namespace: str,
) -> None:
    """Edit the state at a fork's copy of a step inside a subgraph; a refused edit leaves no fork."""
    tracker = services.tracker
    try:
        snapshot = tracker.checkpoint_snapshot(checkpoint_id) if tracker else None
        _apply_updates(services, child, checkpoint_id, updates, as_node, None, tracker, snapshot, namespace)
    except BaseException:
        _discard(services, child)
        raise


def _apply_updates(
    services: Services,
    child: Execution,
    root: str,
    updates: dict[str, Any],
    as_node: str | None,
    candidates: list[str] | None,
    tracker: Any,
    snapshot: str | None,
    namespace: str = "",
) -> None:
    """Edit the fork's state at ``root`` (in ``namespace``); its head becomes the edited checkpoint."""
    graph = services.load_graph(services.get_project(child.project))
    conn = open_checkpoint_db(services.checkpoint_path)
    try:
        fixed = _FixedSnapshot(tracker, snapshot) if tracker is not None and snapshot else None
        recorder = RunRecorder(child.id, fixed, snapshot)
        saver = TrackingSaver(conn, recorder.take_snapshot, recorder.on_checkpoint)
        compiled = compile_graph(graph, saver, PauseStrategyConfig())
        views = ViewRecorder(child.id, services.views, saver.serde)
        edit_state(compiled, thread_config(child.thread_id, root, namespace), updates, as_node, views, candidates)
        views.flush()
        if recorder.stopped_at:
            services.executions.set_head(child.id, recorder.stopped_at)
    finally:
        conn.close()
