"""The shape of a workflow for the editor: nodes with their source location, and edges.

Built from LangGraph's own ``get_graph()`` so it matches what LangGraph Studio draws;
each node's function is located with :mod:`inspect` so a click can open its definition.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GraphNode:
    id: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    conditional: bool = False


@dataclass
class GraphInfo:
    name: str
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)


def describe_graph(name: str, graph: Any) -> GraphInfo:
    """Nodes and edges of a ``StateGraph`` or compiled graph."""
    compiled = graph.compile() if hasattr(graph, "compile") and not hasattr(graph, "get_graph") else graph
    drawable = compiled.get_graph()
    builder = getattr(compiled, "builder", None)
    specs = getattr(builder, "nodes", {}) or {}
    nodes = [GraphNode(node_id, *_location(specs.get(node_id))) for node_id in drawable.nodes]
    edges = [GraphEdge(e.source, e.target, bool(e.conditional)) for e in drawable.edges]
    return GraphInfo(name=name, nodes=nodes, edges=edges)


def _location(spec: Any) -> tuple[str | None, int | None]:
    runnable = getattr(spec, "runnable", None)
    func = getattr(runnable, "func", None) or getattr(runnable, "afunc", None) or runnable
    if not callable(func):
        return None, None
    try:
        target = inspect.unwrap(func)
        file = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return None, None
    return file, line
