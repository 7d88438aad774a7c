"""End to end: pause points and resume with edits; goldens, check and prune through the daemon."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import StartDaemon

STEPS = """
from pathlib import Path
from typing import TypedDict

from langgraph.graph import END, START, StateGraph

FACTOR = 2


class S(TypedDict, total=False):
    n: int
    out: int


def a(state):
    return {"n": state.get("n", 0) + 1}


def b(state):
    value = state["n"] * FACTOR
    Path("out.txt").write_text(str(value))
    return {"out": value}


graph = StateGraph(S)
graph.add_node("a", a)
graph.add_node("b", b)
graph.add_edge(START, "a")
graph.add_edge("a", "b")
graph.add_edge("b", END)
"""


def _workspace(make_workspace: Callable[..., Path]) -> Path:
    return make_workspace({"steps.py": STEPS}, {"steps": "./steps.py:graph"}, name="steps_ws")


async def test_pause_before_a_node_then_resume_with_state_edits(
    start_daemon: StartDaemon, make_workspace: Callable[..., Path]
) -> None:
    ws = _workspace(make_workspace)
    daemon = await start_daemon(ws, warmWorker=False)
    started = await daemon.request(
        "wtb/run", {"workflow": "steps", "initialState": {"n": 1}, "pauseBefore": ["b"], "wait": True}
    )
    paused = started["execution"]
    assert paused["status"] == "paused", paused
    assert paused["nextNodes"] == ["b"]
    listed = await daemon.request("wtb/listExecutions", {"workflow": "steps"})
    assert [e["status"] for e in listed["executions"]] == ["paused"]
    assert any(e["execution"]["status"] == "paused" for e in daemon.of("wtb/executionChanged", paused["id"]))

    resumed = await daemon.request(
        "wtb/resume", {"executionId": paused["id"], "stateUpdates": {"n": 10}, "asNode": "a", "wait": True}
    )
    assert resumed["execution"]["status"] == "completed", resumed
    state = await daemon.request("wtb/getState", {"executionId": paused["id"]})
    assert state["values"]["out"] == 20
    assert any(e["execution"]["status"] == "completed" for e in daemon.of("wtb/executionChanged", paused["id"]))


async def test_mark_golden_check_divergence_and_prune(
    start_daemon: StartDaemon, make_workspace: Callable[..., Path]
) -> None:
    ws = _workspace(make_workspace)
    daemon = await start_daemon(ws, warmWorker=False)
    first = (await daemon.request("wtb/run", {"workflow": "steps", "initialState": {"n": 1}, "wait": True}))[
        "execution"
    ]
    assert first["status"] == "completed", first

    golden = await daemon.request("wtb/markGolden", {"executionId": first["id"]})
    assert golden["name"] == "steps" and golden["executionId"] == first["id"] and golden["workflow"] == "steps"
    listed = await daemon.request("wtb/listGoldens", {"workflow": "steps"})
    assert [g["name"] for g in listed["goldens"]] == ["steps"]

    passed = await daemon.request("wtb/check", {"workflow": "steps", "workDoneToken": "check-1"})
    assert passed["passed"] is True, passed["report"]
    assert passed["divergence"] is None and passed["checkpointsCompared"] > 0
    assert passed["goldenExecutionId"] == first["id"] and passed["executionId"] != first["id"]
    kinds = [type(v).__name__ for v in daemon.progress("check-1")]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd", kinds

    (ws / "steps.py").write_text((ws / "steps.py").read_text().replace("FACTOR = 2", "FACTOR = 3"))
    failed = await daemon.request("wtb/check", {"workflow": "steps"})
    assert failed["passed"] is False
    divergence = failed["divergence"]
    assert divergence["node"] == "b" and divergence["expected"] in (4, "4") and divergence["actual"] in (6, "6")
    assert failed["report"]

    pruned = await daemon.request("wtb/prune", {"keepLast": 1})
    assert first["id"] not in pruned["deleted"]  # the golden is kept
    assert len(pruned["deleted"]) >= 1
    left = {e["id"] for e in (await daemon.request("wtb/listExecutions", {"workflow": "steps"}))["executions"]}
    assert first["id"] in left and not left & set(pruned["deleted"])


async def test_check_and_prune_refuse_bad_params(
    start_daemon: StartDaemon, make_workspace: Callable[..., Path]
) -> None:
    ws = _workspace(make_workspace)
    daemon = await start_daemon(ws, warmWorker=False, fileTracking={"enabled": False})
    with pytest.raises(JsonRpcException, match="golden"):
        await daemon.request("wtb/check", {"workflow": "steps"})
    with pytest.raises(JsonRpcException, match="keepLast"):
        await daemon.request("wtb/prune", {})
