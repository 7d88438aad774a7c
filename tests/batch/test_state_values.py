"""A batch from a checkpoint whose state WTB stored by content (issue 22): the driver hands
the checkpoint to the worker as stored bytes, with its values put back inside, and the
variant's checkpoints come back readable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wtb.batch import run_batch
from wtb.engine.state_values import MARK

CHAT = """
from typing import Annotated, TypedDict
from langchain_core.messages import AIMessage
from langgraph.graph import StateGraph, START, END
from langgraph.graph.message import add_messages

class S(TypedDict, total=False):
    messages: Annotated[list, add_messages]
    label: str
    n: int

def speak(state):
    n = state.get("n", 0) + 1
    return {"messages": [AIMessage(f"{state.get('label', '')} {n} " + "x" * 600)], "n": n}

graph = StateGraph(S)
graph.add_node("speak", speak)
graph.add_edge(START, "speak")
graph.add_conditional_edges("speak", lambda s: END if s["n"] >= 3 else "speak")
"""


def test_a_batch_from_a_checkpoint_stored_by_reference(make_workspace: Any, make_bench: Any) -> None:
    workspace: Path = make_workspace({"chat.py": CHAT}, {"chat": "./chat.py:graph"}, name="chat_ws")
    bench = make_bench(workspace)
    source = bench.run("chat", {"messages": [("user", "hi " + "y" * 600)], "n": 0, "label": "a"})
    middle = next(c for c in bench.get_checkpoints(source.id) if bench.get_state(source.id, c.id)["n"] == 2)
    stored = bench.services.saver.stored_checkpoints()
    assert any(MARK in found.checkpoint for found in stored)  # the source's values are by reference
    result = run_batch(bench, "chat", [{"state_updates": {"label": "b"}}],
                       from_checkpoint=(source.id, middle.id), backend="local")
    variant = result.variants[0]
    assert variant.status == "completed", variant.error
    before = bench.get_state(source.id, middle.id)["messages"]
    after = bench.get_state(variant.execution_id)["messages"]
    assert [m.id for m in after[:3]] == [m.id for m in before]
    assert after[:3] == before
    assert after[3].content.startswith("b 3 ")
