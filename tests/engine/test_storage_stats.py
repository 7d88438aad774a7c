"""``storage_stats`` (``wtb stats``, the editor's storage line) tells what checkpoint state
costs on disk against what it would cost stored whole at every checkpoint (issue 22)."""

from __future__ import annotations

import contextlib
import io
import json
import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

from wtb import WorkflowProject


class Log(TypedDict, total=False):
    lines: Annotated[list[str], operator.add]


def _growing(steps: int) -> StateGraph:
    graph = StateGraph(Log)
    previous = START
    for i in range(steps):
        graph.add_node(f"s{i}", lambda state, i=i: {"lines": [f"line {i} " + "x" * 1000]})
        graph.add_edge(previous, f"s{i}")
        previous = f"s{i}"
    graph.add_edge(previous, END)
    return graph


def test_state_stored_once_is_counted_once(tmp_path: Path, make_bench: Any) -> None:
    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="log", graph=_growing(20)))
    bench.run("log", {"lines": []})
    state = bench.storage_stats().state
    assert state["checkpoints"] >= 20
    # 20 lines of 1 KB, each kept once; stored whole at every checkpoint they would be ~200 KB
    assert 20_000 <= state["bytes_stored"] < 60_000
    assert state["bytes_referenced"] > 150_000
    assert abs(state["dedup_ratio"] - state["bytes_referenced"] / state["bytes_stored"]) < 0.01


def test_wtb_stats_prints_the_state_figures(tmp_path: Path, make_bench: Any) -> None:
    from wtb.cli import main

    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="log", graph=_growing(3)))
    bench.run("log", {"lines": []})
    bench.close()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["stats", "--workspace", str(tmp_path), "--json"]) == 0
    assert json.loads(out.getvalue())["state"]["checkpoints"] >= 3


def test_recorded_views_leave_the_state_to_the_checkpoints(tmp_path: Path, make_bench: Any) -> None:
    """A run's recorded views keep no second copy of a growing state (O(run) on disk, not
    O(run²)), and reading a checkpoint still gives LangGraph's values."""
    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="log", graph=_growing(100)))
    run = bench.run("log", {"lines": []})
    by_step = {c.step: c for c in bench.get_checkpoints(run.id)}
    middle = bench.get_state(run.id, by_step[50].id)
    assert len(middle["lines"]) == 50 and middle["lines"][-1].startswith("line 49 ")
    assert len(bench.get_execution(run.id).state["lines"]) == 100
    bench.close()  # the last connection folds the WAL into the file: its size is what is kept
    views_bytes = sum(p.stat().st_size for p in (tmp_path / ".wtb").glob("wtb.db*"))
    assert views_bytes < 1_500_000  # 100 KB of lines; stored whole at each of 100 views: ~5 MB
