"""Core rows: a run of a 50-node linear graph, WTB vs plain LangGraph with a SqliteSaver.

Both sides write every checkpoint to a SQLite file; WTB additionally records the execution
in ``wtb.db`` and (when on) snapshots files. File tracking is off for the first row, as
the issue asks, so the row measures the engine's own overhead.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

Row = tuple[str, float, float | None, str]


class _State(TypedDict, total=False):
    n: int


def line_of(count: int, step: Callable[[_State], Any]) -> Any:
    """A graph of ``count`` nodes in a line, each running ``step``."""
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(_State)
    previous = START
    for i in range(count):
        graph.add_node(f"n{i}", step)
        graph.add_edge(previous, f"n{i}")
        previous = f"n{i}"
    graph.add_edge(previous, END)
    return graph


def linear_graph(count: int) -> Any:
    def step(state: _State) -> dict[str, int]:
        return {"n": state.get("n", 0) + 1}

    return line_of(count, step)


def async_linear_graph(count: int) -> Any:
    """``linear_graph`` with ``async def`` nodes (streamed with ``astream``)."""

    async def step(state: _State) -> dict[str, int]:
        return {"n": state.get("n", 0) + 1}

    return line_of(count, step)


def alternating_medians(actions: dict[str, Callable[[], object]], turns: int) -> dict[str, float]:
    """Median seconds of each action, run in turns (one call each per turn, after a warm-up).

    Taking turns makes a burst of load on this shared machine slow every side alike,
    where timing one side's repetitions and then the other's let it land on one side only.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        action()
    for _ in range(turns):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def fifty_nodes(quick: bool) -> Row:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from wtb import FileTrackingConfig, WorkflowProject, WTBTestBench

    turns = 5 if quick else 21
    root = Path(tempfile.mkdtemp(prefix="wtb-bench-"))
    try:
        graph = linear_graph(50)
        conn = sqlite3.connect(str(root / "plain.db"), check_same_thread=False)
        plain = graph.compile(checkpointer=SqliteSaver(conn))
        counter = iter(range(10**9))
        (root / "ws").mkdir()
        with WTBTestBench.create(
            workspace=root / "ws", data_dir=root / "data", file_tracking=FileTrackingConfig(enabled=False)
        ) as bench:
            bench.register_project(WorkflowProject(name="fifty", graph=graph))
            medians = alternating_medians({
                "wtb": lambda: bench.run("fifty", {"n": 0}),
                "plain": lambda: plain.invoke({"n": 0}, {"configurable": {"thread_id": f"t{next(counter)}"}}),
            }, turns)
        conn.close()
        return ("run 50-node linear graph (tracking off) vs LangGraph+SqliteSaver", medians["wtb"], medians["plain"],
                f"goal ≤1.15×; medians of {turns} alternating runs")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def fifty_async_nodes(quick: bool) -> Row:
    """The async graph against LangGraph's ``AsyncSqliteSaver`` on one event loop and connection."""
    import asyncio

    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from wtb import FileTrackingConfig, WorkflowProject, WTBTestBench

    turns = 5 if quick else 21
    root = Path(tempfile.mkdtemp(prefix="wtb-bench-async-"))
    loop = asyncio.new_event_loop()
    try:
        graph = async_linear_graph(50)
        conn = loop.run_until_complete(aiosqlite.connect(str(root / "plain.db")))

        async def saver() -> AsyncSqliteSaver:  # it binds to the running loop
            return AsyncSqliteSaver(conn)

        plain = graph.compile(checkpointer=loop.run_until_complete(saver()))
        counter = iter(range(10**9))

        def run_plain() -> None:
            config = {"configurable": {"thread_id": f"t{next(counter)}"}}
            loop.run_until_complete(plain.ainvoke({"n": 0}, config))

        (root / "ws").mkdir()
        with WTBTestBench.create(
            workspace=root / "ws", data_dir=root / "data", file_tracking=FileTrackingConfig(enabled=False)
        ) as bench:
            bench.register_project(WorkflowProject(name="fifty", graph=graph))
            medians = alternating_medians({"wtb": lambda: bench.run("fifty", {"n": 0}), "plain": run_plain}, turns)
        loop.run_until_complete(conn.close())
        return ("run 50-node async graph (tracking off) vs LangGraph+AsyncSqliteSaver", medians["wtb"],
                medians["plain"], f"goal ≤1.15×; medians of {turns} alternating runs")
    finally:
        loop.close()
        shutil.rmtree(root, ignore_errors=True)


def tracking_overhead(
    quick: bool, workflow: str, state: dict[str, object], label: str, graph: Any = None, goal: str = "goal ≤1.15×"
) -> Row:
    """A full run of a sample workflow (or of ``graph``) with file tracking on vs off.

    The two benches have their own copy of the workspace and take turns.
    """
    from wtb import FileTrackingConfig, WorkflowProject, WTBTestBench

    repo = Path(__file__).resolve().parent.parent
    root = Path(tempfile.mkdtemp(prefix="wtb-bench-track-"))
    try:
        skip = shutil.ignore_patterns(".wtb", "index", "out", "drafts")
        for name in ("ws_on", "ws_off"):
            shutil.copytree(repo / "sample_workspace", root / name, ignore=skip)
        turns = 20 if quick else 80
        with WTBTestBench.create(workspace=root / "ws_on", data_dir=root / "on") as tracked, WTBTestBench.create(
            workspace=root / "ws_off", data_dir=root / "off", file_tracking=FileTrackingConfig(enabled=False)
        ) as untracked:
            if graph is not None:
                for bench in (tracked, untracked):
                    bench.register_project(WorkflowProject(name=workflow, graph=graph))
            checkpoints = len(tracked.get_checkpoints(tracked.run(workflow, state).id))
            medians = alternating_medians(
                {"on": lambda: tracked.run(workflow, state), "off": lambda: untracked.run(workflow, state)}, turns
            )
        return (f"{label}, file tracking on vs off", medians["on"], medians["off"],
                f"{goal}; {checkpoints} checkpoints a run; medians of {turns} alternating runs")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def rag_tracking(quick: bool) -> Row:
    return tracking_overhead(quick, "rag", {"query": "How much did revenue grow?", "top_k": 2},
                             "run of the sample RAG workflow")


def reviser_tracking(quick: bool) -> Row:
    """The sample's loop workflow: 11 checkpoints, a file appended to at every revision."""
    state = {"topic": "WTB", "checklist": ["alpha", "beta", "gamma", "delta"], "max_rounds": 10}
    return tracking_overhead(quick, "reviser", state, "run of the sample reviser loop")


def async_writer_graph(count: int) -> Any:
    """``count`` async nodes in a line, each appending a line to ``notes.txt``."""

    async def step(state: _State) -> dict[str, int]:
        with open("notes.txt", "a", encoding="utf-8") as notes:
            notes.write(f"step {state.get('n', 0)}\n")
        return {"n": state.get("n", 0) + 1}

    return line_of(count, step)


def async_tracking(quick: bool) -> Row:
    """An async graph whose nodes write a file, file tracking on vs off.

    The worst case, shown for what it is: nodes that do nothing but change a file, so every
    checkpoint pays a new blob, new trees and a commit against a step of well under a
    millisecond. The 1.15× goal is for the sample workflows' runs, not for this row.
    """
    return tracking_overhead(quick, "async_notes", {"n": 0}, "run of a 10-node async graph appending to a file",
                             graph=async_writer_graph(10), goal="worst case, no goal: every step changes a file")


def run(quick: bool) -> list[Row]:
    return [fifty_nodes(quick), fifty_async_nodes(quick), rag_tracking(quick), reviser_tracking(quick),
            async_tracking(quick)]
