"""Pause strategies and resume-and-edit (issue 8)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RAG_INPUT
from wtb import PauseStrategyConfig
from wtb.models import ExecutionStatus

FLAKY = """
from typing import TypedDict
from langgraph.graph import StateGraph, START, END
from langgraph.types import interrupt

class S(TypedDict, total=False):
    ok: bool
    value: int
    approved: str

def prepare(state):
    return {"value": 1}

def fragile(state):
    if not state.get("ok"):
        raise ValueError("value not ok yet")
    return {"value": state["value"] + 10}

def approve(state):
    answer = interrupt({"question": "ship it?", "value": state["value"]})
    return {"approved": answer}

flaky = StateGraph(S)
flaky.add_node("prepare", prepare)
flaky.add_node("fragile", fragile)
flaky.add_edge(START, "prepare")
flaky.add_edge("prepare", "fragile")
flaky.add_edge("fragile", END)

asking = StateGraph(S)
asking.add_node("prepare", prepare)
asking.add_node("approve", approve)
asking.add_edge(START, "prepare")
asking.add_edge("prepare", "approve")
asking.add_edge("approve", END)
"""


def test_pause_before_a_node_then_resume_with_an_edit(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    paused = bench.run("rag", RAG_INPUT, pause=PauseStrategyConfig(before=["rag_generate"]))
    assert paused.status is ExecutionStatus.PAUSED
    execution = bench.get_execution(paused.id)
    assert execution.next_nodes == ["rag_generate"]
    assert execution.state["retrieved"] == ["revenue.txt", "langgraph.txt"]
    assert not (sample_ws / "out" / "answer.md").exists()
    done = bench.resume(paused.id, state_updates={"retrieved": ["ray.txt"]})
    assert done.status is ExecutionStatus.COMPLETED
    assert bench.get_state(paused.id)["answer"].startswith("Ray")
    assert "ray.txt" in (sample_ws / "out" / "answer.md").read_text()


def test_pause_after_a_node_and_every_step(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    paused = bench.run("rag", RAG_INPUT, pause=PauseStrategyConfig(after=["rag_embed_docs"]))
    assert paused.status is ExecutionStatus.PAUSED
    assert bench.get_execution(paused.id).next_nodes == ["rag_retrieve"]
    assert bench.resume(paused.id).status is ExecutionStatus.COMPLETED
    stepping = bench.run("rag", RAG_INPUT, pause=PauseStrategyConfig(every_step=True))
    seen = []
    while stepping.status is ExecutionStatus.PAUSED:
        seen.append(bench.get_execution(stepping.id).next_nodes[0])
        stepping = bench.resume(stepping.id)
    assert seen == ["rag_retrieve", "rag_generate"]
    assert stepping.status is ExecutionStatus.COMPLETED


def test_interrupt_inside_a_node_resumed_with_a_value(make_workspace, make_bench) -> None:
    ws = make_workspace({"flows.py": FLAKY}, {"asking": "./flows.py:asking"})
    bench = make_bench(ws)
    paused = bench.run("asking", {})
    assert paused.status is ExecutionStatus.PAUSED
    assert bench.get_execution(paused.id).next_nodes == ["approve"]
    done = bench.resume(paused.id, resume_value="yes, ship")
    assert done.status is ExecutionStatus.COMPLETED
    assert bench.get_state(paused.id)["approved"] == "yes, ship"


def test_on_error_pauses_at_the_failing_node_and_resumes_after_a_fix(make_workspace, make_bench) -> None:
    ws = make_workspace({"flows.py": FLAKY}, {"flaky": "./flows.py:flaky"})
    bench = make_bench(ws)
    paused = bench.run("flaky", {"ok": False}, pause=PauseStrategyConfig(on_error=True))
    assert paused.status is ExecutionStatus.PAUSED
    assert paused.error is not None and paused.error.node == "fragile"
    assert "value not ok yet" in paused.error.message
    assert bench.get_execution(paused.id).next_nodes == ["fragile"]
    done = bench.resume(paused.id, state_updates={"ok": True})
    assert done.status is ExecutionStatus.COMPLETED and done.error is None
    assert bench.get_state(paused.id)["value"] == 11
    failed = bench.run("flaky", {"ok": False})
    assert failed.status is ExecutionStatus.FAILED


def test_pause_then_rollback_then_resume(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    paused = bench.run("rag", RAG_INPUT, pause=PauseStrategyConfig(before=["rag_generate"]))
    first_step = next(c for c in bench.get_checkpoints(paused.id) if c.step == 1)
    bench.rollback(paused.id, first_step.id)
    assert bench.get_execution(paused.id).next_nodes == ["rag_retrieve"]
    again = bench.resume(paused.id, state_updates={"query": "What is SQLite?"})
    assert again.status is ExecutionStatus.PAUSED  # the run's pause points stay with the execution
    assert bench.get_execution(paused.id).next_nodes == ["rag_generate"]
    done = bench.resume(paused.id)
    assert done.status is ExecutionStatus.COMPLETED
    assert "SQLite" in bench.get_state(paused.id)["answer"]
