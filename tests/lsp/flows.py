"""Small workflows for the daemon's failure and cancel tests (written into temp workspaces)."""

from __future__ import annotations

FLOWS = """
import os
import signal
import time
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    n: int
    note: str


def ok(state):
    return {"n": state.get("n", 0) + 1}


def boom(state):
    raise ValueError("boom in node")


def die(state):
    os._exit(1)


def segv(state):
    os.kill(os.getpid(), signal.SIGSEGV)


def hang(state):
    while True:
        time.sleep(0.05)


def tick(state):
    time.sleep(0.02)
    return {"n": state.get("n", 0) + 1}


def chatty(state):
    print("hello from a node on stdout")
    return {"note": "printed"}


def linear(*nodes):
    graph = StateGraph(S)
    previous = START
    for name, fn in nodes:
        graph.add_node(name, fn)
        graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, END)
    return graph


raises = linear(("ok", ok), ("boom", boom))
exits = linear(("ok", ok), ("die", die))
segfaults = linear(("ok", ok), ("segv", segv))
hangs = linear(("ok", ok), ("hang", hang))
prints = linear(("chatty", chatty), ("ok", ok))


def build_ticker():
    graph = StateGraph(S)
    graph.add_node("tick", tick)
    graph.add_edge(START, "tick")
    graph.add_conditional_edges("tick", lambda s: END if s.get("n", 0) >= 100000 else "tick")
    return graph.compile()


ticker = build_ticker()


from langgraph.func import entrypoint  # noqa: E402


@entrypoint()
def shout(text):
    return text.upper() + "!"
"""

GRAPHS = {name: f"./flows.py:{name}" for name in ("raises", "exits", "segfaults", "hangs", "prints", "ticker", "shout")}

UNDECLARED = """
from typing import TypedDict
from langgraph.graph import StateGraph, START, END


class T(TypedDict, total=False):
    x: int


def inc(state):
    return {"x": state.get("x", 0) + 1}


builder = StateGraph(T)
builder.add_node("inc", inc)
builder.add_edge(START, "inc")
builder.add_edge("inc", END)
"""
