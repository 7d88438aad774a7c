"""Over the real adapter: a breakpoint in a node function of a subgraph (in an async graph),
and a launch configuration's LangGraph ``config``.

LangGraph's pause points stop before nodes of the graph that runs, not inside a subgraph
node, so such a breakpoint pauses before the subgraph node that runs the function, and
says so; before, it was left unverified and the run never stopped.
"""

from __future__ import annotations

from pathlib import Path

from tests.dap.client import DapClient
from tests.dap.conftest import line_of

FLOW = """
import asyncio
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    n: int

async def first(state):
    await asyncio.sleep(0)
    open("first.txt", "w").write("1")
    return {"n": state.get("n", 0) + 1}

async def inner_step(state):
    n = state["n"] * 10  # INNER
    open("inner.txt", "w").write(str(n))
    return {"n": n}

async def last(state):
    open("last.txt", "w").write(str(state["n"]))
    return {"n": state["n"] + 1}

inner = StateGraph(S)
inner.add_node("inner_step", inner_step)
inner.add_edge(START, "inner_step")
inner.add_edge("inner_step", END)

graph = StateGraph(S)
graph.add_node("first", first)
graph.add_node("sub", inner.compile())
graph.add_node("last", last)
graph.add_edge(START, "first")
graph.add_edge("first", "sub")
graph.add_edge("sub", "last")
graph.add_edge("last", END)
"""


def test_a_breakpoint_inside_a_subgraph_pauses_before_its_subgraph_node(make_workspace, dap) -> None:
    ws: Path = make_workspace({"flow.py": FLOW}, {"flow": "./flow.py:graph"})
    client: DapClient = dap(ws)
    source = ws / "flow.py"
    answered = client.start({"workflow": "flow", "workspace": str(ws), "input": {"n": 1}},
                            {str(source): [{"line": line_of(source, "# INNER")}]})
    [bp] = answered[str(source)]["breakpoints"]
    assert bp["verified"] is True and "subgraph run by sub" in bp["message"]

    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "breakpoint" and stopped["hitBreakpointIds"] == [bp["id"]]
    frame = client.stopped_frame(stopped)
    assert frame["name"] == "sub"
    assert client.scope(frame["id"], "State")["n"]["value"] == "2"
    assert client.scope(frame["id"], "Checkpoint")["next"]["value"] == "['sub']"
    assert (ws / "first.txt").exists() and not (ws / "inner.txt").exists()

    client.request("continue")
    client.wait_event("terminated")
    assert (ws / "inner.txt").read_text() == "20" and (ws / "last.txt").read_text() == "20"


def test_a_launch_config_reaches_the_nodes(make_workspace, dap) -> None:
    """``"config"`` in launch.json: configurable values and a context_schema's context, as ``wtb run --config``."""
    from tests.test_cli import CONFIGURED

    ws: Path = make_workspace({"talk.py": CONFIGURED}, {"talk": "./talk.py:graph"})
    client: DapClient = dap(ws)
    client.start({"workflow": "talk", "workspace": str(ws), "input": {},
                  "config": {"configurable": {"model": "small"}, "context": {"tone": "warm"}}})
    client.wait_event("terminated")
    assert (ws / "said.txt").read_text() == "small/warm"
