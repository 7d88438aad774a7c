"""A node in its own Python environment (issue 8): the per-call overhead once the venv is cached.

The same 3-node workflow runs with node ``b`` in-process and with ``b`` in a cached venv
(a subprocess of its interpreter, state in and update out as msgpack). Creating the venv
is measured once and shown separately.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.core_bench import Row

FLOW = """
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    x: int

def a(state):
    return {"x": 1}

def c(state):
    return {"x": state["x"] * 10}

from node_b import b

graph = StateGraph(S)
graph.add_node("a", a)
graph.add_node("b", b)
graph.add_node("c", c)
graph.add_edge(START, "a")
graph.add_edge("a", "b")
graph.add_edge("b", "c")
graph.add_edge("c", END)
"""

NODE = """
def b(state):
    return {"x": state["x"] + 1}
"""


def run(quick: bool) -> list[Row]:
    from wtb import EnvironmentConfig, FileTrackingConfig, NodeEnvironment, WorkflowProject, WTBTestBench

    root = Path(tempfile.mkdtemp(prefix="wtb-bench-env-"))
    try:
        ws = root / "ws"
        ws.mkdir()
        (ws / "flow.py").write_text(FLOW)
        (ws / "node_b.py").write_text(NODE)
        node_env = NodeEnvironment(requirements=["msgpack==1.0.8"], entrypoint="node_b:b")
        env = EnvironmentConfig(node_envs={"b": node_env})
        with WTBTestBench.create(workspace=ws, file_tracking=FileTrackingConfig(enabled=False)) as bench:
            bench.register_project(WorkflowProject(name="local", graph="./flow.py:graph"))
            bench.register_project(WorkflowProject(name="venv", graph="./flow.py:graph", environment=env))
            start = time.perf_counter()
            bench.run("venv", {})
            creation = time.perf_counter() - start
            repeat = 5 if quick else 15
            local = statistics.median(_timed(lambda: bench.run("local", {})) for _ in range(repeat))
            venv = statistics.median(_timed(lambda: bench.run("venv", {})) for _ in range(repeat))
        return [
            ("run with one node in its own (cached) venv vs in-process", venv, local,
             f"overhead per node call {1000 * (venv - local):.0f} ms"),
            ("first run: venv created with msgpack==1.0.8 (pip)", creation, None, "once per requirements set"),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start
