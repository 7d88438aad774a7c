"""The shape of a workflow for the editor: nodes with their source location, edges, schemas.

Built from LangGraph's own ``get_graph()`` so it matches what LangGraph Studio draws;
each node's function is located with :mod:`inspect` so a click can open its definition.
The input and state schemas are LangGraph's JSON Schemas (``get_input_jsonschema``,
``get_output_jsonschema``): the editor checks a run's input and a fork's state edit
against them before anything runs.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GraphNode:
    """A node, where its function is, and, for a node that is a compiled subgraph, where the
    functions of the nodes inside it are (``inner``: (file, line) pairs, at any depth)."""

    id: str
    file: str | None = None
    line: int | None = None
    inner: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    conditional: bool = False


@dataclass
class GraphInfo:
    """``input_schema``: what a run's input may hold; ``state_schema``: the keys a state edit may
    set (the input's and the output's: LangGraph describes no other part of the state). Each is
    a JSON Schema object with ``properties``, or None where LangGraph gives none (an entrypoint
    taking a plain value, a schema it cannot describe)."""

    name: str
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    input_schema: dict[str, Any] | None = None
    state_schema: dict[str, Any] | None = None


def describe_graph(name: str, graph: Any) -> GraphInfo:
    """Nodes and edges of a ``StateGraph`` or compiled graph."""
    compiled = graph.compile() if hasattr(graph, "compile") and not hasattr(graph, "get_graph") else graph
    drawable = compiled.get_graph()
    builder = getattr(compiled, "builder", None)
    specs = getattr(builder, "nodes", {}) or {}
    nodes = [GraphNode(node_id, *_location(specs.get(node_id)), _inner_locations(specs.get(node_id)))
             for node_id in drawable.nodes]
    edges = [GraphEdge(e.source, e.target, bool(e.conditional)) for e in drawable.edges]
    given = _object_schema(compiled, "get_input_jsonschema", "input_schema")
    returned = _object_schema(compiled, "get_output_jsonschema", "output_schema")
    return GraphInfo(name=name, nodes=nodes, edges=edges, input_schema=given, state_schema=_merged(given, returned))


def _object_schema(compiled: Any, method: str, builder_attribute: str) -> dict[str, Any] | None:
    """LangGraph's JSON Schema of the graph's input or output, when it describes an object.

    Pydantic refuses ``typing.TypedDict`` before Python 3.12, the usual way to declare a
    state: then the ``StateGraph``'s own schema class is described from its type hints.
    """
    try:
        schema = getattr(compiled, method)()
    except Exception:
        schema = _from_hints(getattr(getattr(compiled, "builder", None), builder_attribute, None))
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return None
    return schema


def _from_hints(cls: Any) -> dict[str, Any] | None:
    """An object schema of a class's annotated keys (their JSON types where plain; else any)."""
    if not isinstance(cls, type):
        return None
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception:  # a hint naming something its module cannot resolve
        return None
    if not hints:
        return None
    return {"type": "object", "title": cls.__name__, "properties": {k: _json_type(t) for k, t in hints.items()}}


_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def _json_type(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin is typing.Annotated:
        return _json_type(arguments[0])
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_json_type(argument) for argument in arguments]}
    if origin is typing.Literal:
        return {"enum": list(arguments)}
    base = origin or hint
    if base in _SIMPLE:
        return {"type": _SIMPLE[base]}
    if isinstance(base, type) and issubclass(base, collections.abc.Mapping):
        return {"type": "object"}
    if isinstance(base, type) and issubclass(base, (list, tuple, set, frozenset, collections.abc.Sequence)):
        return {"type": "array"} if not issubclass(base, (str, bytes)) else {"type": "string"}
    return {}  # a class of the user's (a message, a model): any value


def _merged(*schemas: dict[str, Any] | None) -> dict[str, Any] | None:
    """One object schema with the properties (and definitions) of all ``schemas``."""
    found = [schema for schema in schemas if schema is not None]
    if not found:
        return None
    properties: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    for schema in found:
        properties.update(schema["properties"])
        definitions.update(schema.get("$defs") or {})
    merged: dict[str, Any] = {"type": "object", "title": found[0].get("title", "State"), "properties": properties}
    if definitions:
        merged["$defs"] = definitions
    return merged


def _inner_locations(spec: Any) -> tuple[tuple[str, int], ...]:
    """Where the node functions of a subgraph node's graph (``StateNodeSpec.runnable`` a
    compiled ``StateGraph``, whose ``builder`` lists them) are, its own subgraphs' included."""
    builder = getattr(getattr(spec, "runnable", None), "builder", None)
    inner_specs = getattr(builder, "nodes", None)
    if not isinstance(inner_specs, dict):
        return ()
    found: list[tuple[str, int]] = []
    for inner in inner_specs.values():
        file, line = _location(inner)
        if file is not None and line is not None:
            found.append((file, line))
        found.extend(_inner_locations(inner))
    return tuple(found)


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
