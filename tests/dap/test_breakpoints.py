"""Lines to nodes, and hit counts (the pure part of the breakpoints; the rest runs over stdio)."""

from __future__ import annotations

import pytest

from tests.dap.conftest import line_of
from wtb.dap.breakpoints import Breakpoints, hit_condition_holds

NODES = """
import functools
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    n: int

def logged(fn):
    @functools.wraps(fn)
    def wrapper(state):
        return fn(state)
    return wrapper

@logged
def first(state):
    n = state.get("n", 0)
    return {"n": n + 1}

def make(i):
    def step(state):
        return {"n": state["n"] * i}
    return step

def route(state):
    return END

g = StateGraph(S)
g.add_node("first", first)
g.add_node("double", make(2))
g.add_node("triple", make(3))
g.add_edge(START, "first")
g.add_edge("first", "double")
g.add_edge("double", "triple")
g.add_conditional_edges("triple", route, [END])
"""


def test_lines_map_to_the_nodes_whose_function_holds_them(make_workspace, make_bench) -> None:
    ws = make_workspace({"nodes.py": NODES}, {"nodes": "./nodes.py:g"})
    bench = make_bench(ws)
    breakpoints = Breakpoints()
    source = str(ws / "nodes.py")
    early = breakpoints.set_source(source, [{"line": line_of(ws / "nodes.py", 'n = state.get("n", 0)')}])
    assert not early[0].verified  # the graph is not loaded yet
    breakpoints.load(bench.get_graph("nodes"))
    assert early[0].nodes == ("first",)

    lines = {text: line_of(ws / "nodes.py", text) for text in
             ["@logged", "def first(", 'return {"n": n + 1}', 'return {"n": state["n"] * i}', "return END",
              "return fn(state)"]}
    made = breakpoints.set_source(source, [{"line": line} for line in lines.values()])
    found = {text: bp.nodes for text, bp in zip(lines, made, strict=True)}
    assert found["@logged"] == ("first",) and found["def first("] == ("first",)
    assert found['return {"n": n + 1}'] == ("first",)
    assert set(found['return {"n": state["n"] * i}']) == {"double", "triple"}  # one inner function, two nodes
    assert found["return END"] == ()  # a routing function is not a node
    assert found["return fn(state)"] == ()  # the decorator's wrapper is not the node's function
    assert breakpoints.pause_nodes() == ["double", "first", "triple"]


@pytest.mark.parametrize(("condition", "hits", "holds"), [
    ("3", 3, True), ("3", 4, False), ("== 2", 2, True), (">= 2", 5, True), ("> 2", 2, False),
    ("< 2", 1, True), ("<= 2", 3, False), ("% 2", 4, True), ("% 2", 3, False), ("", 1, True), (None, 9, True),
])
def test_hit_conditions(condition: str | None, hits: int, holds: bool) -> None:
    assert hit_condition_holds(condition, hits) is holds


def test_a_hit_condition_that_is_not_a_count_leaves_the_breakpoint_unverified(make_workspace, make_bench) -> None:
    with pytest.raises(ValueError, match="hit count"):
        hit_condition_holds("twice", 2)
    breakpoints = Breakpoints()
    [bp] = breakpoints.set_functions([{"name": "first", "hitCondition": "twice"}])
    ws = make_workspace({"nodes.py": NODES}, {"nodes": "./nodes.py:g"})
    breakpoints.load(make_bench(ws).get_graph("nodes"))
    assert not bp.verified and "hit count" in (bp.message or "")
