"""``wtb/getGraph`` without importing workflow code into the daemon.

Describing a graph means importing its module, which runs the user's code; a module that
calls ``os._exit`` or loops at import must not take the daemon with it. So the graph is
described by ``python -m wtb.worker --graph NAME`` (:mod:`wtb.lsp.oneshot`) and cached per workflow until its file
changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wtb import errors
from wtb.lsp import oneshot
from wtb.lsp.uris import reference_file

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer


@dataclass(frozen=True)
class Node:
    id: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    conditional: bool = False


@dataclass
class Graph:
    name: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    input_schema: dict[str, Any] | None = None
    state_schema: dict[str, Any] | None = None


_cache: dict[tuple[str, str, int], Graph] = {}


def _file_key(ls: WtbLanguageServer, workflow: str, ref: str | None) -> tuple[str, str, int] | None:
    workspace = ls.bench_host.workspace
    if not ref or workspace is None:
        return None
    file = reference_file(ref, workspace)
    try:
        return (workflow, ref, file.stat().st_mtime_ns) if file is not None else None
    except OSError:
        return None


async def describe(ls: WtbLanguageServer, workflow: str) -> Graph:
    project = await ls.bench_host.call(lambda bench: bench.get_project(workflow))
    key = _file_key(ls, workflow, project.reference)
    if key is not None and key in _cache:
        return _cache[key]
    try:
        graph = await _describe_in_worker(ls, workflow)
    except errors.WorkflowLoadError as exc:
        ls.load_diagnostics.report(workflow, str(exc))
        raise
    ls.load_diagnostics.clear(workflow)
    if key is not None:
        _cache[key] = graph
    return graph


async def _describe_in_worker(ls: WtbLanguageServer, workflow: str) -> Graph:
    args = ["--graph", workflow, "--file-tracking", json.dumps({"enabled": False})]
    return _graph(await oneshot.call(ls, args, "graph", f"Describing workflow {workflow!r}"))


def _graph(data: dict[str, Any]) -> Graph:
    return Graph(
        name=str(data.get("name", "")),
        nodes=[Node(str(n["id"]), n.get("file"), n.get("line")) for n in data.get("nodes", [])],
        edges=[Edge(str(e["source"]), str(e["target"]), bool(e.get("conditional"))) for e in data.get("edges", [])],
        input_schema=_schema(data.get("input_schema")),
        state_schema=_schema(data.get("state_schema")),
    )


def _schema(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def forget() -> None:
    """Drop cached graphs (the workflow list changed; they are cheap to rebuild)."""
    _cache.clear()
