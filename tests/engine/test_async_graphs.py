"""Graphs with ``async def`` nodes run, pause, resume, fork and roll back like sync ones.

Real LangGraph graphs on real SQLite files; every node writes a file, so each checkpoint's
snapshot can be checked against what the nodes had written by then.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph

from wtb import PauseStrategyConfig
from wtb.models import ExecutionStatus

FLOW = '''
import asyncio
from pathlib import Path
from typing import TypedDict
from langgraph.graph import StateGraph, START, END
from langgraph.types import interrupt

class S(TypedDict, total=False):
    n: int
    log: str
    answer: str

def write(i, n):
    Path("out").mkdir(exist_ok=True)
    Path(f"out/s{i}.txt").write_text(f"{i}:{n}")

def make_async(i):
    async def step(state):
        await asyncio.sleep(0)
        write(i, state.get("n", 0))
        return {"n": state.get("n", 0) + 1, "log": state.get("log", "") + f"a{i},"}
    step.__name__ = f"async_{i}"
    return step

def make_sync(i):
    def step(state):
        write(i, state.get("n", 0))
        return {"n": state.get("n", 0) + 1, "log": state.get("log", "") + f"s{i},"}
    step.__name__ = f"sync_{i}"
    return step

def build(kinds):
    g = StateGraph(S)
    prev = START
    for i, kind in enumerate(kinds):
        g.add_node(f"s{i}", (make_async if kind == "a" else make_sync)(i))
        g.add_edge(prev, f"s{i}")
        prev = f"s{i}"
    g.add_edge(prev, END)
    return g

async def ask(state):
    await asyncio.sleep(0)
    answer = interrupt({"question": "Whose answer?"})
    Path("out").mkdir(exist_ok=True)
    Path("out/answer.txt").write_text(answer)
    return {"answer": answer}

def build_asking():
    g = StateGraph(S)
    g.add_node("s0", make_async(0))
    g.add_node("ask", ask)
    g.add_edge(START, "s0")
    g.add_edge("s0", "ask")
    g.add_edge("ask", END)
    return g

graph = build("aaa")
mixed = build("asas")
asking = build_asking()
'''
GRAPHS = {"flow": "./flow.py:graph", "mixed": "./flow.py:mixed", "asking": "./flow.py:asking"}


@pytest.fixture
def async_ws(make_workspace: Any) -> Path:
    return make_workspace({"flow.py": FLOW}, GRAPHS)


def out_files(bench: Any, execution_id: str, checkpoint_id: str | None) -> dict[str, bytes]:
    """The node-written files of a checkpoint's snapshot, read back through WTB."""
    paths = [p for p in bench.get_files(execution_id, checkpoint_id) if p.startswith("out/")]
    return {p: bench.read_file(execution_id, checkpoint_id, p) for p in sorted(paths)}


def expected_out(n_nodes_run: int, first_n: int = 0) -> dict[str, bytes]:
    return {f"out/s{i}.txt": f"{i}:{first_n + i}".encode() for i in range(n_nodes_run)}


def langgraph_history(workspace: Path, attribute: str, initial: dict[str, Any], tmp: Path) -> list[tuple[Any, ...]]:
    """(step, values, next) of each checkpoint of the same graph run by LangGraph alone, newest first."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    spec = importlib.util.spec_from_file_location(f"async_flow_{attribute}", workspace / "flow.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run_dir = tmp / f"plain-{attribute}"
    run_dir.mkdir()

    async def run() -> list[tuple[Any, ...]]:
        async with AsyncSqliteSaver.from_conn_string(str(tmp / f"plain-{attribute}.sqlite")) as saver:
            compiled = getattr(module, attribute).compile(checkpointer=saver)
            config: Any = {"configurable": {"thread_id": "plain"}}
            await compiled.ainvoke(initial, config, durability="sync")
            return [
                (snap.metadata["step"], snap.values, list(snap.next))
                async for snap in compiled.aget_state_history(config)
            ]

    previous = Path.cwd()
    import os

    os.chdir(run_dir)
    try:
        return asyncio.run(run())
    finally:
        os.chdir(previous)


@pytest.mark.parametrize(("project", "attribute"), [("flow", "graph"), ("mixed", "mixed")])
def test_async_graph_runs_with_langgraphs_states_and_each_steps_files(
    async_ws: Path, make_bench: Any, tmp_path: Path, project: str, attribute: str
) -> None:
    bench = make_bench(async_ws)
    execution = bench.run(project, {"n": 0})
    assert execution.status is ExecutionStatus.COMPLETED, execution.error
    checkpoints = bench.get_checkpoints(execution.id)
    states = {c.id: bench.get_state(execution.id, c.id) for c in checkpoints}
    # WTB adds the step's written files to the state it shows: the rest is LangGraph's.
    ours = [(c.step, {k: v for k, v in states[c.id].items() if k != "_output_files"}, c.next) for c in checkpoints]
    assert ours == langgraph_history(async_ws, attribute, {"n": 0}, tmp_path)
    nodes = 4 if project == "mixed" else 3
    assert [c.step for c in checkpoints] == list(range(nodes, -2, -1))
    for checkpoint in checkpoints:
        # After step k the first k nodes have run (step 0 is START's, -1 the input's).
        assert out_files(bench, execution.id, checkpoint.id) == expected_out(max(checkpoint.step, 0)), checkpoint
        written = [f"out/s{checkpoint.step - 1}.txt"] if checkpoint.step >= 1 else []
        assert sorted(states[checkpoint.id].get("_output_files", {})) == written


def test_pause_before_an_async_node_then_resume(async_ws: Path, make_bench: Any) -> None:
    bench = make_bench(async_ws)
    paused = bench.run("flow", {"n": 0}, pause=PauseStrategyConfig(before=["s1"]))
    assert paused.status is ExecutionStatus.PAUSED, paused.error
    assert bench.get_execution(paused.id).next_nodes == ["s1"]
    assert sorted(p.name for p in (async_ws / "out").iterdir()) == ["s0.txt"]
    done = bench.resume(paused.id, pause=PauseStrategyConfig())
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert bench.get_state(done.id)["log"] == "a0,a1,a2,"
    assert out_files(bench, done.id, None) == expected_out(3)


def test_async_interrupt_answered_with_a_resume_value(async_ws: Path, make_bench: Any) -> None:
    bench = make_bench(async_ws)
    paused = bench.run("asking", {"n": 0})
    assert paused.status is ExecutionStatus.PAUSED, paused.error
    assert bench.get_execution(paused.id).next_nodes == ["ask"]
    done = bench.resume(paused.id, resume_value="Ada")
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert bench.get_state(done.id)["answer"] == "Ada"
    assert bench.read_file(done.id, None, "out/answer.txt") == b"Ada"
    assert (async_ws / "out" / "answer.txt").read_text() == "Ada"


def test_rollback_of_an_async_run_restores_files_and_undo_and_resume_work(async_ws: Path, make_bench: Any) -> None:
    bench = make_bench(async_ws)
    execution = bench.run("flow", {"n": 0})
    assert execution.status is ExecutionStatus.COMPLETED, execution.error
    middle = next(c for c in bench.get_checkpoints(execution.id) if c.step == 2)
    bench.rollback(execution.id, middle.id)
    assert sorted(p.name for p in (async_ws / "out").iterdir()) == ["s0.txt", "s1.txt"]
    bench.undo_rollback(execution.id)
    assert sorted(p.name for p in (async_ws / "out").iterdir()) == ["s0.txt", "s1.txt", "s2.txt"]
    bench.rollback(execution.id, middle.id)
    again = bench.resume(execution.id)
    assert again.status is ExecutionStatus.COMPLETED, again.error
    assert bench.get_state(execution.id)["log"] == "a0,a1,a2,"
    assert out_files(bench, execution.id, None) == expected_out(3)


def test_fork_of_an_async_run_with_a_state_edit_then_resume(async_ws: Path, make_bench: Any) -> None:
    bench = make_bench(async_ws)
    parent = bench.run("flow", {"n": 0})
    middle = next(c for c in bench.get_checkpoints(parent.id) if c.step == 2)
    fork = bench.fork(parent.id, middle.id, state_updates={"n": 100})
    assert fork.status is ExecutionStatus.PAUSED and fork.next_nodes == ["s2"]
    done = bench.resume(fork.id)
    assert done.status is ExecutionStatus.COMPLETED, done.error
    assert {k: bench.get_state(fork.id)[k] for k in ("n", "log")} == {"n": 101, "log": "a0,a1,a2,"}
    assert bench.read_file(fork.id, None, "out/s2.txt") == b"2:100"
    assert bench.read_file(parent.id, None, "out/s2.txt") == b"2:2"


async def test_async_graph_runs_from_a_thread_with_a_running_event_loop(async_ws: Path, make_bench: Any) -> None:
    bench = make_bench(async_ws)
    execution = bench.run("flow", {"n": 0})  # called from inside this test's event loop
    assert execution.status is ExecutionStatus.COMPLETED, execution.error
    assert out_files(bench, execution.id, None) == expected_out(3)


def test_async_graph_through_the_cli(async_ws: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wtb", "run", "flow", "--input", '{"n": 0}', "--workspace", str(async_ws), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "completed"
    assert (async_ws / "out" / "s2.txt").read_text() == "2:2"



class Small(TypedDict, total=False):
    n: int


def sync_node(state: Small) -> Small:
    return {"n": 1}


async def async_node(state: Small) -> Small:
    return {"n": 2}


async def async_route(state: Small) -> str:
    return END


def one_node_graph(node: Any, route: Any = None) -> StateGraph[Small]:
    g: StateGraph[Small] = StateGraph(Small)
    g.add_node("x", node)
    g.add_edge(START, "x")
    if route is None:
        g.add_edge("x", END)
    else:
        g.add_conditional_edges("x", route, [END])
    return g


def test_async_nodes_are_found_in_routers_and_subgraphs_and_sync_graphs_stay_sync() -> None:
    from wtb.engine.async_graphs import is_async_graph

    assert not is_async_graph(one_node_graph(sync_node))
    assert not is_async_graph(one_node_graph(sync_node).compile())
    assert not is_async_graph(one_node_graph(one_node_graph(sync_node).compile()))
    assert is_async_graph(one_node_graph(async_node))
    assert is_async_graph(one_node_graph(async_node).compile())
    assert is_async_graph(one_node_graph(sync_node, async_route))
    assert is_async_graph(one_node_graph(one_node_graph(async_node).compile()).compile())


def test_async_nodes_replay_from_recordings(async_ws: Path, make_bench: Any) -> None:
    from wtb import ExecutionConfig, WorkflowProject

    bench = make_bench(async_ws)
    bench.register_project(
        WorkflowProject(name="replayed", graph="./flow.py:graph", execution=ExecutionConfig(replay="recorded"))
    )
    first = bench.run("replayed", {"n": 0})
    assert first.status is ExecutionStatus.COMPLETED, first.error
    assert not any(c.replayed for c in bench.get_checkpoints(first.id))
    (async_ws / "out" / "s1.txt").unlink()
    second = bench.run("replayed", {"n": 0})
    assert second.status is ExecutionStatus.COMPLETED, second.error
    assert sorted(n for c in bench.get_checkpoints(second.id) for n in c.replayed) == ["s0", "s1", "s2"]
    assert bench.get_state(second.id)["log"] == "a0,a1,a2,"
    assert out_files(bench, second.id, None) == expected_out(3)
    assert (async_ws / "out" / "s1.txt").read_text() == "1:1"
