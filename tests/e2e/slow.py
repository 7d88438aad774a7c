"""The e2e's slow workflow: three nodes that take a while each, so the graph view can be seen following a run."""

import time
from typing import TypedDict

from langgraph.graph import END, START, StateGraph

PAUSE_S = 2.5


class S(TypedDict, total=False):
    done: list[str]


def step(name):
    def run(state):
        time.sleep(PAUSE_S)
        return {"done": [*state.get("done", []), name]}

    return run


slow = StateGraph(S)
for name in ("fetch", "think", "write"):
    slow.add_node(name, step(name))
slow.add_edge(START, "fetch")
slow.add_edge("fetch", "think")
slow.add_edge("think", "write")
slow.add_edge("write", END)
