"""Node overrides: run a variant with some nodes replaced by other callables.

The replacement keeps everything else about the node (edges, retry policy, input
schema, declared destinations), so an override tests one implementation against another
(a different retriever, a cheaper model call) inside the same graph. The graph is copied
first: the original object may be shared (a module imported once per process), and the
next variant in the same actor must see it unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from wtb.batch.errors import InvalidVariantError
from wtb.engine import loader


def load_graph(graph: Any, workspace: Path, what: str, python_path: Sequence[str] = ()) -> Any:
    """The project's graph, imported from ``workspace`` when it is a reference."""
    if isinstance(graph, str):
        obj = loader.load_object(graph, workspace, python_path)
        return loader.to_graph(obj, f"{graph!r} (workflow {what!r})")
    return loader.to_graph(graph, f"the graph of workflow {what!r}")


def apply_overrides(graph: Any, overrides: Mapping[str, Any], workspace: Path) -> Any:
    """A copy of ``graph`` (a StateGraph, or a compiled one with its builder) with nodes replaced."""
    if not overrides:
        return graph
    from langgraph.graph import StateGraph

    builder = graph if isinstance(graph, StateGraph) else getattr(graph, "builder", None)
    if not isinstance(builder, StateGraph):
        raise InvalidVariantError(
            "Node overrides need a StateGraph (or a graph compiled from one); this workflow is a "
            f"{type(graph).__name__}."
        )
    changed = copy.copy(builder)
    changed.nodes = dict(builder.nodes)
    for node, target in overrides.items():
        if node not in changed.nodes:
            known = ", ".join(sorted(n for n in changed.nodes if not n.startswith("__"))) or "none"
            raise InvalidVariantError(f"Cannot override node {node!r}: the graph has no such node (nodes: {known}).")
        function = _resolve(target, workspace, node)
        scratch = StateGraph(builder.state_schema)
        scratch.add_node(node, function)
        changed.nodes[node] = dataclasses.replace(changed.nodes[node], runnable=scratch.nodes[node].runnable)
    return changed


def _resolve(target: Any, workspace: Path, node: str) -> Any:
    if callable(target):
        return target
    if not isinstance(target, str):
        raise InvalidVariantError(f"The override of node {node!r} must be 'file.py:function', not {target!r}.")
    function = loader.load_object(target, workspace)
    if not callable(function):
        raise InvalidVariantError(
            f"The override of node {node!r}, {target!r}, is a {type(function).__name__}, not a function."
        )
    return function
