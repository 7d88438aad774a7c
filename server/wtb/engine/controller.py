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

import os
import re
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wtb.config import PauseStrategyConfig
from wtb.engine.async_graphs import is_async_graph, run_coroutine
from wtb.engine.checkpointer import TrackingSaver, open_checkpoint_db
from wtb.engine.recorder import EventSink, RunRecorder, Tracker
from wtb.engine.state_adapter import StateAdapter, thread_config
from wtb.errors import NonSerializableStateError, WTBError
from wtb.models import Execution, ExecutionError, ExecutionStatus
from wtb.store.executions import ExecutionStore

_cwd_lock = threading.RLock()
_TASK_NOTE = re.compile(r"During task with name '([^']+)'")
#: What a run stopped by a cancel request records (compared by identity).
CANCELLED = ExecutionError(
    node=None,
    type="Cancelled",
    message="The run was cancelled (`wtb cancel`) and stopped before its next step; its checkpoints are kept.",
)


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
    #: Whether someone asked the run to stop (``wtb cancel``): looked at before each step.
    stop_requested: Callable[[], bool] | None = None


class ExecutionController:
    def __init__(self, checkpoint_db: Path, executions: ExecutionStore) -> None:
        self._checkpoint_db = checkpoint_db
        self._executions = executions

    def run(self, request: RunRequest, on_event: EventSink | None) -> Execution:
        execution = request.execution
        conn = open_checkpoint_db(self._checkpoint_db)
        try:
            recorder = RunRecorder(
                execution.id,
                execution.thread_id,
                self._executions,
                None,
                request.tracker,
                request.previous_snapshot,
                on_event,
            )
            saver = TrackingSaver(conn, recorder.take_snapshot, recorder.on_checkpoint, request.replayed)
            saver.setup()
            # The recorder reads writes through the run's own saver: one connection, one lock.
            recorder.adapter = StateAdapter(saver)
            compiled = compile_graph(request.graph, saver, request.pause)
            self._emit(on_event, self._executions.set_status(execution.id, ExecutionStatus.RUNNING))
            config = thread_config(execution.thread_id, self._resume_point(saver, execution, request.checkpoint_id))
            config["configurable"].update(execution.config.get("configurable", {}))
            config["recursion_limit"] = request.recursion_limit
            if request.state_updates:
                with working_directory(request.directory):
                    config = compiled.update_state(config, request.state_updates, as_node=request.as_node)
                config["recursion_limit"] = request.recursion_limit
            if request.input is not None:
                recorder.take_start_snapshot()
            if is_async_graph(compiled):
                error = self._astream(compiled, request, config, on_event)
            else:
                error = self._stream(compiled, request, config, on_event)
            return self._finish(execution.id, recorder, error, on_event, request.pause.on_error)
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
        self, compiled: Any, request: RunRequest, config: dict[str, Any], on_event: EventSink | None
    ) -> ExecutionError | None:
        tasks = _TaskWatch(request, on_event)
        with working_directory(request.directory):
            try:
                for _mode, task in compiled.stream(
                    request.input, config, stream_mode=["tasks"], durability=request.durability
                ):
                    if tasks.stop_at(task):
                        return CANCELLED
            except Exception as exc:
                return tasks.failure(exc)
        return None

    def _astream(
        self, compiled: Any, request: RunRequest, config: dict[str, Any], on_event: EventSink | None
    ) -> ExecutionError | None:
        """``_stream`` for a graph with async nodes: ``astream`` in an event loop of its own."""
        tasks = _TaskWatch(request, on_event)

        async def stream() -> ExecutionError | None:
            try:
                chunks = compiled.astream(request.input, config, stream_mode=["tasks"], durability=request.durability)
                async with aclosing(chunks):
                    async for _mode, task in chunks:
                        if tasks.stop_at(task):
                            return CANCELLED
            except Exception as exc:
                return tasks.failure(exc)
            return None

        with working_directory(request.directory):
            return run_coroutine(stream)

    def _finish(
        self,
        execution_id: str,
        recorder: RunRecorder,
        error: ExecutionError | None,
        on_event: EventSink | None,
        pause_on_error: bool = False,
    ) -> Execution:
        """Record the end: cancelled, failed, paused (an interrupt, or an error with ``on_error``) or completed."""
        if recorder.head is not None:
            self._executions.set_head(execution_id, recorder.head)
        if error is CANCELLED:
            execution = self._executions.set_status(execution_id, ExecutionStatus.CANCELLED, error)
        elif error is not None and pause_on_error:
            execution = self._executions.set_status(execution_id, ExecutionStatus.PAUSED, error)
        elif error is not None:
            execution = self._executions.set_status(execution_id, ExecutionStatus.FAILED, error)
        else:
            status = ExecutionStatus.PAUSED if recorder.head_next else ExecutionStatus.COMPLETED
            execution = self._executions.set_status(execution_id, status)
        self._emit(on_event, execution)
        return execution

    @staticmethod
    def _emit(on_event: EventSink | None, execution: Execution) -> None:
        if on_event:
            on_event({"type": "execution", "execution": execution})


def compile_graph(graph: Any, saver: TrackingSaver, pause: PauseStrategyConfig) -> Any:
    """Compile (or re-compile) ``graph`` with WTB's saver and the pause points."""
    from langgraph.graph import StateGraph

    builder = graph if isinstance(graph, StateGraph) else getattr(graph, "builder", None)
    before: Any = list(pause.before) or None
    after: Any = "*" if pause.every_step else (list(pause.after) or None)
    if isinstance(builder, StateGraph):
        return builder.compile(checkpointer=saver, interrupt_before=before, interrupt_after=after)
    return graph.copy(update={"checkpointer": saver, "interrupt_before_nodes": before or [],
                              "interrupt_after_nodes": after or []})


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
def working_directory(directory: Path) -> Iterator[None]:
    """Run workflow code from ``directory`` (process-wide, hence the lock)."""
    with _cwd_lock:
        previous = os.getcwd()
        os.chdir(directory)
        try:
            yield
        finally:
            os.chdir(previous)


class _TaskWatch:
    """What a run's stream of task events tells: which nodes are running (to name the one
    that failed), each node's start (an event for the caller), and where to stop when a
    cancel was asked for."""

    def __init__(self, request: RunRequest, on_event: EventSink | None) -> None:
        self._request = request
        self._on_event = on_event
        self._running: dict[str, str] = {}

    def stop_at(self, task: dict[str, Any]) -> bool:
        """Note one task event; True when the run must stop here (a cancel request).

        LangGraph announces a step's tasks before it runs them, after the previous step's
        checkpoint: the place to stop when asked to.
        """
        if "input" not in task:
            self._running.pop(task["id"], None)
            return False
        stop = self._request.stop_requested
        if stop is not None and stop():
            return True
        self._running[task["id"]] = task["name"]
        if self._on_event:
            self._on_event({"type": "node", "node": task["name"], "execution_id": self._request.execution.id})
        return False

    def failure(self, exc: Exception) -> ExecutionError:
        return describe_failure(exc, failed_node(exc) or next(iter(self._running.values()), None))
