"""The e2e's survey: a join (left, right -> join), a subgraph (writer: draft -> polish) and an interrupt() (ask)."""

import operator
from pathlib import Path
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class S(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    color: str
    size: str


def step(name):
    def run(state):
        return {"log": [name]}

    return run


def build_inner():
    inner = StateGraph(S)
    inner.add_node("draft", step("draft"))
    inner.add_node("polish", step("polish"))
    inner.add_edge(START, "draft")
    inner.add_edge("draft", "polish")
    inner.add_edge("polish", END)
    return inner.compile()


def ask(state):
    color = interrupt("Which color?")
    Path("out").mkdir(exist_ok=True)
    Path("out/color.txt").write_text(str(color), encoding="utf-8")
    return {"color": color, "log": ["ask"]}


def build_survey():
    graph = StateGraph(S)
    graph.add_node("left", step("left"))
    graph.add_node("right", step("right"))
    graph.add_node("join", step("join"))
    graph.add_node("writer", build_inner())
    graph.add_node("ask", ask)
    graph.add_edge(START, "left")
    graph.add_edge(START, "right")
    graph.add_edge(["left", "right"], "join")
    graph.add_edge("join", "writer")
    graph.add_edge("writer", "ask")
    graph.add_edge("ask", END)
    return graph


survey = build_survey()
