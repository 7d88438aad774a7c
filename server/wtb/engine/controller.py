"""``ExecutionController``: run a workflow so that every super-step is a checkpoint.

A run compiles the workflow with a :class:`~wtb.engine.checkpointer.TrackingSaver` of its
own (its own SQLite connection, so runs in threads don't share one), streams it with
``durability="sync"`` (the files at a checkpoint must be the files of that step), and
moves the execution through ``running`` to ``completed``, ``paused`` or ``failed`` (or
``cancelled``, when asked to stop between two steps).
Workflow code runs with the workspace as its working directory, as it would when the user
runs it from there. A graph with ``async def`` nodes is streamed with ``astream`` in an
event loop of the run's own (``engine/async_graphs.py``); a sync graph never touches asyncio.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import aclosing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wtb.config import PauseStrategyConfig
from wtb.engine import run_env
from wtb.engine.async_graphs import is_async_graph, run_coroutine
from wtb.engine.attempts import AttemptRecorder, has_retry_policy, timed_nodes
from wtb.engine.checkpointer import TrackingSaver, open_checkpoint_db
from wtb.engine.recorder import EventSink, RunRecorder, Tracker
from wtb.engine.state_adapter import thread_config, visible_values
from wtb.engine.state_edits import edit_state
from wtb.engine.views import (
    CheckpointView,
    ViewRecorder,
    as_read_back,
    from_payload,
    from_snapshot,
    pending_together,
    to_checkpoint,
)
from wtb.errors import NonSerializableStateError, WTBError
from wtb.models import Execution, ExecutionError, ExecutionStatus
from wtb.store.executions import ExecutionStore
from wtb.store.views import ViewStore

logger = logging.getLogger(__name__)
_cwd_lock = threading.RLock()
#: What a run streams: each task's start and outcome, and LangGraph's view of each checkpoint.
STREAM_MODES = ["tasks", "checkpoints"]
_TASK_NOTE = re.compile(r"During task with name '([^']+)'")
#: What a run stopped by a cancel request records (compared by identity).
CANCELLED = ExecutionError(
    node=None,
    type="Cancelled",
    message="The run was cancelled (`wtb cancel`) and stopped before its next step; its checkpoints are kept.",
)


@dataclass(frozen=True)
class Heads:
    """The checkpoints a run reads as the latest of their namespaces: one inside a subgraph and
    those of the steps that ran it (``asked``: the innermost one's tasks asked questions)."""

    checkpoints: dict[str, str]
    asked: bool = False


@dataclass
class RunRequest:
    """Everything one run needs, resolved by the SDK."""

    execution: Execution
    graph: Any
    input: Any
    checkpoint_id: str | None
    directory: Path
    tracker: Tracker | None
    previous_snapshot: str | None
    pause: PauseStrategyConfig
    durability: str
    recursion_limit: int
    state_updates: dict[str, Any] | None = None
    as_node: str | None = None
    replayed: list[str] | None = None
    #: The checkpoints read as the latest of their namespaces (see ``TrackingSaver.continue_from``).
    heads: Heads | None = None
    #: The step inside a subgraph the state edits are made at, (namespace, checkpoint id): the
    #: head the run goes on from. None: the run's starting step (see ``engine/state_edits.py``).
    edit_at: tuple[str, str] | None = None
    #: Whether someone asked the run to stop (``wtb cancel``): looked at before each step.
    stop_requested: Callable[[], bool] | None = None
    #: Environment variables the workflow's code sees while it runs (``engine/run_env.py``).
    env: Mapping[str, str] = field(default_factory=dict)


class ExecutionController:
    def __init__(self, checkpoint_db: Path, executions: ExecutionStore, views: ViewStore) -> None:
        self._checkpoint_db = checkpoint_db
        self._executions = executions
        self._views = views

    def run(self, request: RunRequest, on_event: EventSink | None) -> Execution:
        execution = request.execution
        recorder = RunRecorder(execution.id, request.tracker, request.previous_snapshot, hold_links=True)
        conn = open_checkpoint_db(self._checkpoint_db)
        try:
            stored: dict[str, Any] = {}  # checkpoint id -> its values, for the views (see note_stored_values)

            def on_checkpoint(checkpoint: dict[str, Any], metadata: dict[str, Any], parent: Any, snapshot: Any) -> None:
                stored[str(checkpoint["id"])] = visible_values(checkpoint)
                recorder.on_checkpoint(checkpoint, metadata, parent, snapshot)

            saver = TrackingSaver(conn, recorder.take_snapshot, on_checkpoint, request.replayed)
            saver.setup()
            if request.heads is not None:
                saver.continue_from(request.heads.checkpoints, asked=request.heads.asked)
            live = _LiveCheckpoints(execution.id, recorder, on_event)
            views = ViewRecorder(execution.id, self._views, saver.serde, live, stored)
            compiled = compile_graph(request.graph, saver, request.pause)
            config = thread_config(execution.thread_id, self._resume_point(saver, execution, request.checkpoint_id))
            config["configurable"].update(execution.config.get("configurable", {}))
            config["recursion_limit"] = request.recursion_limit
            if request.state_updates:  # before "running": an edit LangGraph refuses changes nothing
                with working_directory(request.directory, request.env):
                    edited = edit_state(compiled, _edited_step(request, config), request.state_updates,
                                        request.as_node, views)
                if request.edit_at is None:  # inside a subgraph, the run goes on from the root step as before
                    config = edited
                config["recursion_limit"] = request.recursion_limit
            self._emit(on_event, self._executions.set_status(execution.id, ExecutionStatus.RUNNING))
            if request.input is not None:
                recorder.take_start_snapshot()
            watch = _StreamWatch(request, on_event, views, has_subgraphs(compiled))
            if has_retry_policy(compiled):
                watch.attempts = AttemptRecorder(timed_nodes(compiled))
                config["callbacks"] = [watch.attempts]
            if is_async_graph(compiled):
                error = self._astream(compiled, request, config, watch)
            else:
                error = self._stream(compiled, request, config, watch)
            complete_views(compiled, execution.thread_id, views, watch.started)
            order_next_as_history(compiled, execution.thread_id, views)
            views.flush()
            recorder.write_links()  # before the status: an execution that ended has all its links
            return self._finish(execution, saver, recorder, views, error, on_event, request.pause.on_error)
        finally:
            try:
                recorder.write_links()  # a run that broke off: the links of what it stored
            finally:
                conn.close()

    @staticmethod
    def _resume_point(saver: TrackingSaver, execution: Execution, checkpoint_id: str | None) -> str | None:
        """``checkpoint_id`` unless it is the thread's latest: then LangGraph simply continues,
        instead of first copying it into a ``fork`` checkpoint."""
        if checkpoint_id is None:
            return None
        latest = saver.get_tuple(thread_config(execution.thread_id))  # type: ignore[arg-type]
        return None if latest and latest.checkpoint["id"] == checkpoint_id else checkpoint_id

    def _stream(
        self, compiled: Any, request: RunRequest, config: dict[str, Any], watch: _StreamWatch
    ) -> ExecutionError | None:
        with working_directory(request.directory, request.env):
            try:
                for namespace, mode, payload in watch.events(compiled.stream(
                    request.input, config, stream_mode=STREAM_MODES, subgraphs=watch.subgraphs,
                    durability=request.durability, context=run_context(request),
                )):
                    if watch.stop_at(namespace, mode, payload):
                        return CANCELLED
            except Exception as exc:
                return watch.failure(exc)
        return None

    def _astream(
        self, compiled: Any, request: RunRequest, config: dict[str, Any], watch: _StreamWatch
    ) -> ExecutionError | None:
        """``_stream`` for a graph with async nodes: ``astream`` in an event loop of its own."""

        async def stream() -> ExecutionError | None:
            try:
                chunks = compiled.astream(
                    request.input, config, stream_mode=STREAM_MODES, subgraphs=watch.subgraphs,
                    durability=request.durability, context=run_context(request),
                )
                async with aclosing(chunks):
                    async for chunk in chunks:
                        if watch.stop_at(*watch.event(chunk)):
                            return CANCELLED
            except Exception as exc:
                return watch.failure(exc)
            return None

        with working_directory(request.directory, request.env):
            return run_coroutine(stream)

    def _finish(
        self,
        execution: Execution,
        saver: TrackingSaver,
        recorder: RunRecorder,
        views: ViewRecorder,
        error: ExecutionError | None,
        on_event: EventSink | None,
        pause_on_error: bool = False,
    ) -> Execution:
        """Record the end: cancelled, failed, paused (an interrupt, or an error with ``on_error``) or completed.

        A run that stops with a step left to run (``next``) first records how it stopped:
        the files then, and the tasks of that step that had finished (a resume and a fork
        go on from those, see ``RunRecorder.take_stop_snapshot`` and ``engine/paused_tasks.py``).
        """
        execution_id = execution.id
        head = recorder.stopped_at
        if recorder.head is None:  # no root step stored: it went on inside subgraphs, or asked again at once
            head = views.waiting_at(head)
        if head is not None:
            self._executions.set_head(execution_id, head)
        stopped = views.view(head) if head is not None else None
        stopped = stopped if stopped is not None else views.root
        # A resume that stored no checkpoint (a node that asks again) stopped at the step it went on from.
        stopped_at = head if head is not None else stopped.checkpoint_id if stopped is not None else None
        questions = stopped.pending_interrupts() if stopped is not None else []
        if stopped_at is not None and stopped is not None and stopped.next:  # before the status a resume reads
            recorder.take_stop_snapshot(stopped_at)
            at = {"thread_id": execution.thread_id, "checkpoint_ns": stopped.namespace, "checkpoint_id": stopped_at}
            saver.note_paused({"configurable": at})
            if stopped.namespace:  # stopped inside subgraphs: where each of them stood
                heads = views.stop_heads()
                saver.note_stopped_inside(execution.thread_id, stopped_at, heads)
                questions = pending_together([stopped, *(v for v in map(views.view, heads.values()) if v is not None)])
        if error is CANCELLED:
            execution = self._executions.set_status(execution_id, ExecutionStatus.CANCELLED, error)
        elif error is not None and pause_on_error:
            execution = self._executions.set_status(execution_id, ExecutionStatus.PAUSED, error)
        elif error is not None:
            execution = self._executions.set_status(execution_id, ExecutionStatus.FAILED, error)
        else:
            pending = stopped is not None and bool(stopped.next)
            status = ExecutionStatus.PAUSED if pending else ExecutionStatus.COMPLETED
            execution = self._executions.set_status(execution_id, status)
        if stopped is not None:  # where it stopped, as LangGraph says
            execution.state = as_read_back(saver.serde, stopped.values)
            execution.next_nodes = list(stopped.next)
            execution.interrupts = questions
        self._emit(on_event, execution)
        return execution

    @staticmethod
    def _emit(on_event: EventSink | None, execution: Execution) -> None:
        if on_event:
            on_event({"type": "execution", "execution": execution})


def run_context(request: RunRequest) -> Any:
    """LangGraph's runtime context for the run (``context_schema``): the execution's ``context``."""
    return request.execution.config.get("context")


def compile_graph(graph: Any, saver: TrackingSaver, pause: PauseStrategyConfig) -> Any:
    """Compile (or re-compile) ``graph`` with WTB's saver and the pause points: WTB's, and
    those a compiled graph was given (``compile(interrupt_before=...)``)."""
    from langgraph.graph import StateGraph

    builder = graph if isinstance(graph, StateGraph) else getattr(graph, "builder", None)
    before: Any = _pause_points(list(pause.before), getattr(graph, "interrupt_before_nodes", None))
    ours_after = ["*"] if pause.every_step else list(pause.after)
    after: Any = _pause_points(ours_after, getattr(graph, "interrupt_after_nodes", None))
    if isinstance(builder, StateGraph):  # a compiled graph keeps its cache and store
        return builder.compile(
            checkpointer=saver, interrupt_before=before, interrupt_after=after,
            cache=getattr(graph, "cache", None), store=getattr(graph, "store", None),
        )
    return graph.copy(update={"checkpointer": saver, "interrupt_before_nodes": before or [],
                              "interrupt_after_nodes": after or []})


def _pause_points(ours: list[str], compiled_with: Any) -> Any:
    """WTB's pause points and the graph's own: ``"*"`` (every node) if either says so."""
    theirs = [compiled_with] if isinstance(compiled_with, str) else list(compiled_with or [])
    if "*" in ours or "*" in theirs:
        return "*"
    merged = list(dict.fromkeys([*ours, *theirs]))
    return merged or None


def failed_node(exc: BaseException) -> str | None:
    """The node LangGraph names in the exception's notes ("During task with name 'x'")."""
    for note in getattr(exc, "__notes__", []):
        match = _TASK_NOTE.search(note)
        if match:
            return match.group(1)
    return None


def describe_failure(exc: BaseException, node: str | None) -> ExecutionError:
    """An :class:`ExecutionError` for a run that raised, naming the node that was running."""
    message = str(exc)
    kind = type(exc).__name__
    if isinstance(exc, TypeError) and "serializ" in message.lower():
        kind = NonSerializableStateError.__name__
        message = f"Node {node!r} returned a value that cannot be stored in a checkpoint: {message}"
    elif isinstance(exc, WTBError):
        kind = type(exc).__name__
    return ExecutionError(node=node, type=kind, message=message, traceback="".join(traceback.format_exception(exc)))


@contextmanager
def working_directory(directory: Path, env: Mapping[str, str]) -> Iterator[None]:
    """Run workflow code from ``directory`` with ``env`` set (process-wide, hence the lock)."""
    with _cwd_lock, run_env.applied(env):
        previous = os.getcwd()
        os.chdir(directory)
        try:
            yield
        finally:
            os.chdir(previous)


class _StreamWatch:
    """What a run's stream tells: LangGraph's view of each checkpoint (recorded), which
    nodes are running (to name the one that failed), each node's start (an event for the
    caller), and where to stop when a cancel was asked for."""

    def __init__(
        self, request: RunRequest, on_event: EventSink | None, views: ViewRecorder, subgraphs: bool
    ) -> None:
        #: Whether to stream with ``subgraphs=True`` (it costs LangGraph ~0.2 ms a step: only when there are some).
        self.subgraphs = subgraphs
        self._request = request
        self._on_event = on_event
        self._views = views
        self._running: dict[str, str] = {}
        #: The ids of the tasks LangGraph started in this run.
        self.started: set[str] = set()
        #: Failed attempts of retried nodes (LangChain callbacks; attached where a node retries).
        self.attempts = AttemptRecorder()

    def event(self, chunk: tuple[Any, ...]) -> tuple[tuple[str, ...], str, dict[str, Any]]:
        """(namespace, mode, payload): a chunk streamed without ``subgraphs`` has no namespace."""
        return chunk if self.subgraphs else ((), *chunk)  # type: ignore[return-value]

    def events(self, chunks: Iterator[tuple[Any, ...]]) -> Iterator[tuple[tuple[str, ...], str, dict[str, Any]]]:
        return (self.event(chunk) for chunk in chunks)

    def stop_at(self, namespace: tuple[str, ...], mode: str, payload: dict[str, Any]) -> bool:
        """Note one stream event; True when the run must stop here (a cancel request).

        LangGraph announces a step's tasks before it runs them, after the previous step's
        checkpoint: the place to stop when asked to. Node events and the failing node
        are the root graph's; a subgraph's steps are its node's business.
        """
        if mode == "checkpoints":
            self._views.add(from_payload(payload))
            return False
        if "input" not in payload:
            self._views.task_result(payload, "|".join(namespace), self.attempts.failed(str(payload["id"])))
            self._running.pop(payload["id"], None)
            return False
        self.started.add(payload["id"])
        stop = self._request.stop_requested
        if stop is not None and stop():
            return True
        if namespace:
            return False
        self._running[payload["id"]] = payload["name"]
        if self._on_event:
            self._on_event({"type": "node", "node": payload["name"], "execution_id": self._request.execution.id})
        return False

    def failure(self, exc: Exception) -> ExecutionError:
        return describe_failure(exc, failed_node(exc) or next(iter(self._running.values()), None))


class _LiveCheckpoints:
    """Adds to each view what the run itself knows (nodes answered from a recording), and
    tells the caller of each checkpoint as LangGraph reports it, with its files."""

    def __init__(self, execution_id: str, recorder: RunRecorder, on_event: EventSink | None) -> None:
        self._execution_id = execution_id
        self._recorder = recorder
        self._on_event = on_event
        self._views: dict[str, CheckpointView] = {}

    def __call__(self, view: CheckpointView) -> None:
        view.replayed = self._recorder.replayed.get(view.checkpoint_id, view.replayed)
        told = view.checkpoint_id in self._views
        self._views[view.checkpoint_id] = view
        if self._on_event is None or told:
            return
        parent = self._views.get(view.parent_id) if view.parent_id else None
        snapshot, output_files = self._recorder.links.get(view.checkpoint_id, (None, {}))
        record = to_checkpoint(view, self._execution_id, parent)
        record.snapshot_id = snapshot
        record.output_files = output_files
        self._on_event({"type": "checkpoint", "checkpoint": record})


def has_subgraphs(compiled: Any) -> bool:
    """Whether the graph runs any subgraph (LangGraph's ``get_subgraphs``, recursively)."""
    try:
        return next(iter(compiled.get_subgraphs(recurse=False)), None) is not None
    except Exception:  # a graph LangGraph cannot look into: stream as if it had some
        return True


def complete_views(compiled: Any, thread_id: str, views: ViewRecorder, started: set[str]) -> None:
    """Ask LangGraph (``get_state``) about the checkpoints whose tasks the stream left untold.

    A task LangGraph started in this run that has writes but never reported a result was
    answered from LangGraph's cache (a cache hit sends no result event): it is marked ``cached``.
    """
    for view in views.unfinished():
        config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": view.namespace,
                                   "checkpoint_id": view.checkpoint_id}}
        untold = {t.id for t in view.tasks if t.result is None and t.error is None and not t.interrupts}
        try:
            refreshed = from_snapshot(compiled.get_state(config))
            for task in refreshed.tasks:
                hit = task.id in untold and task.id in started
                task.cached = hit and task.result is not None
            views.add(refreshed)
        except Exception:  # a view without its writes beats a run that fails at its end
            logger.warning("could not read checkpoint %s back from LangGraph", view.checkpoint_id, exc_info=True)


def _edited_step(request: RunRequest, config: dict[str, Any]) -> dict[str, Any]:
    """The config of the checkpoint a run's state edits are made at (``RunRequest.edit_at``)."""
    if request.edit_at is None:
        return config
    namespace, checkpoint_id = request.edit_at
    return thread_config(request.execution.thread_id, checkpoint_id, namespace)


def order_next_as_history(compiled: Any, thread_id: str, views: ViewRecorder) -> None:
    """Give the steps of parallel nodes their next nodes in LangGraph's ``get_state_history``
    order (the graph's), not the stream's (by name): what ``get_state`` shows the user."""
    for view in views.parallel():
        config = {"configurable": {"thread_id": thread_id, "checkpoint_ns": view.namespace,
                                   "checkpoint_id": view.checkpoint_id}}
        try:
            views.reorder_next(view.checkpoint_id, list(compiled.get_state(config).next))
        except Exception:  # the stream's order names the same nodes
            logger.warning("could not read checkpoint %s back from LangGraph", view.checkpoint_id, exc_info=True)
