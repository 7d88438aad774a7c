"""``wtb/getGraph`` without importing workflow code into the daemon.

Describing a graph means importing its module, which runs the user's code; a module that
calls ``os._exit`` or loops at import must not take the daemon with it. So the graph is
described by ``python -m wtb.worker --graph NAME`` and cached per workflow until its file
changes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wtb import errors

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer

GRAPH_TIMEOUT_S = 60.0


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


_cache: dict[tuple[str, str, int], Graph] = {}


def _file_key(ls: WtbLanguageServer, workflow: str, ref: str | None) -> tuple[str, str, int] | None:
    workspace = ls.bench_host.workspace
    if not ref or workspace is None:
        return None
    try:
        mtime = (workspace / ref.rpartition(":")[0]).stat().st_mtime_ns
    except OSError:
        return None
    return workflow, ref, mtime


async def describe(ls: WtbLanguageServer, workflow: str) -> Graph:
    bench = await ls.bench_host.get()
    project = await ls.bench_host.run(lambda: bench.get_project(workflow))
    key = _file_key(ls, workflow, getattr(project, "reference", None))
    if key is not None and key in _cache:
        return _cache[key]
    graph = await _describe_in_worker(ls, workflow)
    if key is not None:
        _cache[key] = graph
    return graph


async def _describe_in_worker(ls: WtbLanguageServer, workflow: str) -> Graph:
    from wtb.lsp.runs import package_root

    host = ls.bench_host
    argv = [
        ls.options.python or sys.executable,
        "-m",
        "wtb.worker",
        "--workspace",
        str(host.workspace),
        "--data-dir",
        str(host.data_dir),
        "--graph",
        workflow,
        "--file-tracking",
        json.dumps({"enabled": False}),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root()), env.get("PYTHONPATH")]))
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(host.workspace),
        env=env,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), GRAPH_TIMEOUT_S)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        process.kill()
        await process.wait()
        raise errors.WorkflowLoadError(
            f"Describing workflow {workflow!r} did not finish within {GRAPH_TIMEOUT_S:g} s "
            "(does importing its file block?)."
        ) from None
    events = [
        json.loads(line) for line in out.decode("utf-8", "replace").splitlines() if line.startswith("{")
    ]
    for event in events:
        if event.get("type") == "graph":
            return _graph(event["graph"])
        if event.get("type") == "error":
            raise _error(event.get("error") or {})
    tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
    raise errors.WorkflowLoadError(
        f"Describing workflow {workflow!r} failed: the worker exited with code {process.returncode}. "
        + " | ".join(tail)
    )


def _graph(data: dict[str, Any]) -> Graph:
    return Graph(
        name=str(data.get("name", "")),
        nodes=[Node(str(n["id"]), n.get("file"), n.get("line")) for n in data.get("nodes", [])],
        edges=[
            Edge(str(e["source"]), str(e["target"]), bool(e.get("conditional")))
            for e in data.get("edges", [])
        ],
    )


def _error(error: dict[str, Any]) -> errors.WTBError:
    """The worker's error as the same WTB error class, so it maps to the same JSON-RPC code."""
    cls = getattr(errors, str(error.get("type")), None)
    message = str(error.get("message") or "")
    if isinstance(cls, type) and issubclass(cls, errors.WTBError):
        return cls(message)
    return errors.WorkflowLoadError(f"{error.get('type')}: {message}")


def forget(path: Path | None = None) -> None:
    """Drop cached graphs (all of them; cheap to rebuild)."""
    _cache.clear()
