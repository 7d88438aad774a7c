"""Nodes that run elsewhere: in their own Python environment, or replaced by another callable.

:func:`with_nodes_replaced` returns a copy of a ``StateGraph`` whose named nodes call other
functions (the user's graph object, cached per module, is never changed).
:func:`subprocess_node` makes such a function: it sends the state to the node's own
interpreter as msgpack and brings the update back the same way.
"""

from __future__ import annotations

import copy
import dataclasses
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wtb.engine.node_env import NodeEnvironmentError
from wtb.errors import NonSerializableStateError, WorkflowLoadError

RUNNER = Path(__file__).with_name("node_runner_script.py")


def with_nodes_replaced(graph: Any, replacements: Mapping[str, Callable[[Any], Any]]) -> Any:
    """A copy of ``graph`` (a ``StateGraph`` or a compiled one) with some nodes' functions swapped."""
    from langchain_core.runnables import RunnableLambda
    from langgraph.graph import StateGraph

    builder = graph if isinstance(graph, StateGraph) else getattr(graph, "builder", None)
    if not isinstance(builder, StateGraph):
        raise WorkflowLoadError("Only StateGraph workflows can have nodes replaced or run in their own environment.")
    unknown = set(replacements) - set(builder.nodes)
    if unknown:
        raise WorkflowLoadError(
            f"The workflow has no node(s) {', '.join(sorted(unknown))}; it has {', '.join(builder.nodes)}."
        )
    clone = copy.copy(builder)
    clone.nodes = dict(builder.nodes)
    for name, func in replacements.items():
        clone.nodes[name] = dataclasses.replace(builder.nodes[name], runnable=RunnableLambda(func, name=name))
    return clone


def subprocess_node(name: str, python: Path, entrypoint: str, log: Callable[[str], None]) -> Callable[[Any], Any]:
    """A node function that runs ``entrypoint`` with ``python``; msgpack in, msgpack out.

    It runs from the current directory, which is the run's workspace (see the controller).
    """
    import msgpack

    def run_elsewhere(state: Any) -> Any:
        try:
            payload = msgpack.packb(dict(state), use_bin_type=True)
        except TypeError as exc:
            raise NonSerializableStateError(
                f"Node {name!r} runs in its own environment, and its input state cannot be sent as msgpack: {exc}"
            ) from exc
        done = subprocess.run(
            [str(python), str(RUNNER), str(Path.cwd()), entrypoint], input=payload, capture_output=True
        )
        if done.stderr:
            log(done.stderr.decode("utf-8", "replace"))
        if done.returncode != 0 or not done.stdout:
            raise NodeEnvironmentError(
                f"Node {name!r} in {python} exited with {done.returncode}: "
                + done.stderr.decode("utf-8", "replace").strip()[-500:]
            )
        reply = msgpack.unpackb(done.stdout, raw=False)
        if "error" in reply:
            kind, message, trace = reply["error"]
            raise NodeEnvironmentError(f"Node {name!r} raised {kind} in its environment: {message}\n{trace}")
        return reply["ok"]

    run_elsewhere.__name__ = name
    return run_elsewhere
