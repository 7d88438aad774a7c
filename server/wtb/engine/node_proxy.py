"""Nodes that run elsewhere: in their own Python environment, or replaced by another callable.

:func:`with_nodes_replaced` returns a copy of a ``StateGraph`` whose named nodes call other
functions (the user's graph object, cached per module, is never changed).
:class:`NodeProcess` keeps one interpreter of a node environment running and sends it
calls — state in and update out as msgpack — so a call costs a round trip, not an
interpreter start; :func:`subprocess_node` makes a node function of it.
"""

from __future__ import annotations

import copy
import dataclasses
import struct
import subprocess
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wtb.engine.node_env import NodeEnvironmentError
from wtb.errors import NonSerializableStateError, WorkflowLoadError

RUNNER = Path(__file__).with_name("node_runner_script.py")


def with_nodes_replaced(graph: Any, replacements: Mapping[str, Callable[..., Any]]) -> Any:
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


class NodeProcess:
    """One long-lived interpreter of a node environment, serving calls one at a time."""

    def __init__(self, python: Path) -> None:
        self.python = python
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def call(self, directory: Path, reference: str, state: dict[str, Any]) -> dict[str, Any]:
        import msgpack

        request = msgpack.packb({"dir": str(directory), "ref": reference, "state": state}, use_bin_type=True)
        with self._lock:
            process = self._ensure()
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(struct.pack(">I", len(request)) + request)
                process.stdin.flush()
                header = process.stdout.read(4)
                body = process.stdout.read(struct.unpack(">I", header)[0]) if len(header) == 4 else b""
            except (BrokenPipeError, struct.error):
                body = b""
            if not body:
                try:
                    code = process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    code = None
                self._process = None
                raise NodeEnvironmentError(f"The node's interpreter {self.python} died (exit code {code}).")
        reply: dict[str, Any] = msgpack.unpackb(body, raw=False)
        return reply

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [str(self.python), str(RUNNER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
        return self._process

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                if self._process.stdin:
                    self._process.stdin.close()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                self._process = None


def subprocess_node(
    name: str, process: NodeProcess, entrypoint: str, log: Callable[[str], None]
) -> Callable[[Any], Any]:
    """A node function that runs ``entrypoint`` in ``process``'s environment.

    It runs from the current directory, which is the run's workspace (see the controller).
    """

    def run_elsewhere(state: Any) -> Any:
        try:
            reply = process.call(Path.cwd(), entrypoint, dict(state))
        except TypeError as exc:
            raise NonSerializableStateError(
                f"Node {name!r} runs in its own environment, and its input state cannot be sent as msgpack: {exc}"
            ) from exc
        if reply.get("log"):
            log(reply["log"])
        if "error" in reply:
            kind, message, trace = reply["error"]
            raise NodeEnvironmentError(f"Node {name!r} raised {kind} in its environment: {message}\n{trace}")
        return reply["ok"]

    run_elsewhere.__name__ = name
    return run_elsewhere
