"""What a LangGraph user gives the graph besides its nodes is honoured in WTB's runs:
pause points compiled into the graph (``compile(interrupt_before=...)``) and the runtime
context of a graph with a ``context_schema`` (``invoke(..., context=...)``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from wtb import WorkflowProject
from wtb.errors import InvalidArgumentError
from wtb.models import ExecutionStatus


class Note(TypedDict, total=False):
    text: str


@dataclass
class Style:
    emphasis: str = "plain"


def _styled() -> StateGraph:
    def draft(state: Note, runtime: Runtime[Style]) -> Note:
        emphasis = runtime.context.emphasis if runtime.context else "none"
        Path("draft.txt").write_text(emphasis)
        return {"text": emphasis}

    def publish(state: Note) -> Note:
        Path("published.txt").write_text(state["text"])
        return {"text": state["text"] + "!"}

    graph = StateGraph(Note, context_schema=Style)
    graph.add_node("draft", draft)
    graph.add_node("publish", publish)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "publish")
    graph.add_edge("publish", END)
    return graph


def test_a_graph_compiled_with_a_pause_point_pauses_there(tmp_path: Path, make_bench: Any) -> None:
    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="styled", graph=_styled().compile(interrupt_before=["publish"])))
    paused = bench.run("styled", {"text": ""})
    assert (paused.status, paused.next_nodes) == (ExecutionStatus.PAUSED, ["publish"])
    assert not (tmp_path / "published.txt").exists()
    done = bench.resume(paused.id)
    assert done.status is ExecutionStatus.COMPLETED and done.state["text"] == "none!"


def test_the_runtime_context_reaches_the_nodes_and_stays_with_resume_and_fork(tmp_path: Path, make_bench: Any) -> None:
    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="styled", graph=_styled()))
    run = bench.run("styled", {"text": ""}, config={"context": {"emphasis": "bold"}})
    assert run.state["text"] == "bold!"
    first = bench.get_checkpoints(run.id)[-1]
    fork = bench.fork(run.id, first.id)
    assert bench.resume(fork.id).state["text"] == "bold!"
    other = bench.fork(run.id, first.id, config={"context": {"emphasis": "italic"}})
    assert bench.resume(other.id).state["text"] == "italic!"
    assert (tmp_path / "draft.txt").read_text() == "italic"


def test_a_context_that_is_not_a_mapping_is_refused_before_anything_is_recorded(
    tmp_path: Path, make_bench: Any
) -> None:
    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="styled", graph=_styled()))
    with pytest.raises(InvalidArgumentError, match="context"):
        bench.run("styled", {"text": ""}, config={"context": "bold"})
    assert bench.list_executions() == []
