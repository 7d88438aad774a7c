"""The failed attempts of a run's tasks, for nodes with a ``RetryPolicy``.

LangGraph retries a failing node inside its step and streams only the last attempt's
outcome, so a retried failure leaves no trace in the stream or the checkpoints. Each
attempt is a run of the node's runnable, though, and LangChain's callbacks (the public
``config["callbacks"]`` of every LangGraph invocation) see it start and fail, with
LangGraph's metadata naming the node and its task (``langgraph_node``,
``langgraph_checkpoint_ns`` = ``"…|<node>:<task id>"``). :class:`AttemptRecorder` keeps
the errors per task id; the stream's task results pick them up.

A callback costs a little on every runnable LangGraph starts, so a run attaches one only
when the graph has a node with a retry policy (:func:`has_retry_policy`).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler


class AttemptRecorder(BaseCallbackHandler):
    """Collects ``{task id: [error, …]}`` for the node runs that raised."""

    run_inline = True  # called in the node's own thread, in order, no executor hop

    def __init__(self, timed: frozenset[str] = frozenset()) -> None:
        self._lock = threading.Lock()
        self._timed = timed  # nodes with a timeout: a cancelled attempt of theirs timed out
        self._tasks: dict[UUID, tuple[str, str]] = {}  # run id of a node's attempt -> (node, task id)
        self._failed: dict[str, list[str]] = {}

    def on_chain_start(
        self, serialized: dict[str, Any] | None, inputs: Any, *, run_id: UUID, metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        task_id = _task_id(metadata or {}, kwargs.get("name"))
        if task_id is not None:
            with self._lock:
                self._tasks[run_id] = (str(kwargs.get("name")), task_id)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            self._tasks.pop(run_id, None)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            found = self._tasks.pop(run_id, None)
            if found is not None:
                node, task_id = found
                self._failed.setdefault(task_id, []).append(self._describe(node, error))

    def _describe(self, node: str, error: BaseException) -> str:
        # LangGraph cancels an attempt whose time ran out and raises its NodeTimeoutError
        # only after the attempt's callbacks: what they see is the cancellation.
        if isinstance(error, asyncio.CancelledError) and node in self._timed:
            return "NodeTimeoutError: the attempt ran out of time and was cancelled"
        return f"{type(error).__name__}: {error}"

    def failed(self, task_id: str) -> list[str]:
        with self._lock:
            return list(self._failed.get(task_id, ()))


def _task_id(metadata: dict[str, Any], name: Any) -> str | None:
    """The task id of a node's own run (not of the runnables inside it)."""
    node = metadata.get("langgraph_node")
    namespace = str(metadata.get("langgraph_checkpoint_ns") or "")
    if node is None or name != node or not namespace:
        return None
    last = namespace.split("|")[-1]
    found_node, _, task_id = last.partition(":")
    return task_id if found_node == node and task_id else None


def has_retry_policy(compiled: Any) -> bool:
    """Whether any node of the compiled graph (``Pregel.nodes``) retries."""
    return any(getattr(node, "retry_policy", None) for node in getattr(compiled, "nodes", {}).values())


def timed_nodes(compiled: Any) -> frozenset[str]:
    """The nodes of the compiled graph with a ``timeout`` (LangGraph >= 1.2's ``TimeoutPolicy``)."""
    return frozenset(name for name, node in getattr(compiled, "nodes", {}).items() if getattr(node, "timeout", None))
