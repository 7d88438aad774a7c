"""Graphs with ``async def`` nodes: telling them apart, and running a coroutine from sync code.

LangGraph's sync ``stream`` cannot call an async-only node ("No synchronous function
provided"), so such a graph is streamed with ``astream`` instead. Whether a graph needs it
is read from the builder before the run: each node's runnable (``StateNodeSpec.runnable``)
and each conditional edge's ``path`` (``BranchSpec.path``), with a compiled subgraph
looked into in turn. LangGraph (``RunnableCallable``) and LangChain (``RunnableLambda``)
keep the function they were given as ``func`` or, when it is a coroutine function, as
``afunc`` alone; a runnable with an ``afunc`` and no ``func`` can only run async.
Sync graphs stay on the sync path.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def is_async_graph(graph: Any) -> bool:
    """Whether ``graph`` (a ``StateGraph`` or a compiled one) has a node or router that only runs async."""
    return _needs_async(graph, set())


def _needs_async(graph: Any, seen: set[int]) -> bool:
    from langgraph.graph import StateGraph

    if id(graph) in seen:
        return False
    seen.add(id(graph))
    builder = graph if isinstance(graph, StateGraph) else getattr(graph, "builder", None)
    runnables: list[Any]
    if isinstance(builder, StateGraph):
        runnables = [spec.runnable for spec in builder.nodes.values()]
        runnables += [branch.path for branches in builder.branches.values() for branch in branches.values()]
    else:  # a Pregel graph built by hand: its nodes' runnables are ``bound``
        runnables = [getattr(node, "bound", None) for node in getattr(graph, "nodes", {}).values()]
    return any(is_async_only(each) or (_is_graph(each) and _needs_async(each, seen)) for each in runnables)


def is_async_only(runnable: Any) -> bool:
    """Whether a node's runnable has only an async function (an ``async def`` node)."""
    return getattr(runnable, "func", None) is None and callable(getattr(runnable, "afunc", None))


def _is_graph(runnable: Any) -> bool:
    from langgraph.graph import StateGraph
    from langgraph.pregel import Pregel

    return isinstance(runnable, Pregel | StateGraph)


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine ``make()`` to its end from sync code.

    In a thread without an event loop (the CLI, a run worker, the daemon's bench threads)
    that is ``asyncio.run``; where a loop is already running in this thread (a caller in
    a notebook or an async test), a fresh thread runs it with a loop of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=target, name="wtb-async-run")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
