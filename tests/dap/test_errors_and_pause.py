"""Node errors (the exception breakpoint), edits before resuming, interrupts, and Pause and
Terminate while a node runs (the adapter answers; the run stops before its next step)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dap.client import DapClient, DapError
from tests.dap.conftest import line_of
from wtb import WTBTestBench
from wtb.models import ExecutionStatus

FLOWS = """
import time
from pathlib import Path
from typing import TypedDict
from langgraph.graph import StateGraph, START, END
from langgraph.types import interrupt

class S(TypedDict, total=False):
    ok: bool
    value: int
    approved: str

def prepare(state):
    Path("out").mkdir(exist_ok=True)
    Path("out/prepared.txt").write_text("prepared")
    print("prepare ran")
    return {"value": 1}

def fragile(state):
    if not state.get("ok"):
        raise ValueError("value not ok yet")
    return {"value": state["value"] + 10}

def approve(state):
    answer = interrupt({"question": "ship it?", "value": state["value"]})
    return {"approved": answer}

def slow(state):
    Path("started").write_text("yes")
    deadline = time.monotonic() + 300
    while not Path("release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"value": 2}

def after(state):
    Path("after.txt").write_text("after ran")
    return {"value": 3}

def line(*steps):
    g = StateGraph(S)
    previous = START
    for step in steps:
        g.add_node(step.__name__, step)
        g.add_edge(previous, step.__name__)
        previous = step.__name__
    g.add_edge(previous, END)
    return g

flaky = line(prepare, fragile)
asking = line(prepare, approve)
waiting = line(prepare, slow, after)
"""

GRAPHS = {"flaky": "./flows.py:flaky", "asking": "./flows.py:asking", "waiting": "./flows.py:waiting"}


@pytest.fixture
def ws(make_workspace) -> Path:
    return make_workspace({"flows.py": FLOWS}, GRAPHS)


def test_exception_breakpoint_stops_on_the_error_then_an_edit_lets_it_run(ws: Path, dap) -> None:
    client: DapClient = dap(ws)
    client.start({"workflow": "flaky", "workspace": str(ws), "input": {}}, exceptions=["nodeErrors"])
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "exception" and "value not ok yet" in stopped["text"]
    info = client.request("exceptionInfo", {"threadId": stopped["threadId"]})
    assert info["exceptionId"] == "ValueError" and "value not ok yet" in info["details"]["stackTrace"]
    frame = client.stopped_frame(stopped)
    assert frame["name"] == "fragile" and frame["line"] == line_of(ws / "flows.py", "def fragile(")
    assert client.scope(frame["id"], "Error")["node"]["value"] == "'fragile'"
    assert "prepare ran" in client.output()  # the node's print came as an output event
    state = client.scope(frame["id"], "State")
    assert state["value"]["value"] == "1"

    scopes = {s["name"]: s for s in client.request("scopes", {"frameId": frame["id"]})["scopes"]}
    edited = client.request("setVariable", {"variablesReference": scopes["State"]["variablesReference"],
                                            "name": "ok", "value": "True"})
    assert edited["value"] == "True"
    client.request("continue")  # fragile runs again, with ok set by update_state
    assert client.wait_event("exited")["exitCode"] == 0
    with WTBTestBench.create(workspace=ws) as bench:
        [execution] = bench.list_executions()
        assert execution.status is ExecutionStatus.COMPLETED
        assert bench.get_state(execution.id)["value"] == 11


def test_without_the_exception_breakpoint_a_node_error_ends_the_session(ws: Path, dap) -> None:
    client: DapClient = dap(ws)
    client.start({"workflow": "flaky", "workspace": str(ws), "input": {}})
    assert client.wait_event("exited")["exitCode"] == 1
    client.wait_event("terminated")
    assert "ValueError in node fragile: value not ok yet" in client.output()
    assert not [e for e in client.seen if e["event"] == "stopped"]


def test_an_interrupt_question_is_answered_from_the_variables_pane(ws: Path, dap) -> None:
    client: DapClient = dap(ws)
    client.start({"workflow": "asking", "workspace": str(ws), "input": {}})
    stopped = client.wait_event("stopped")
    assert "ship it?" in stopped["description"]
    frame = client.stopped_frame(stopped)
    scopes = {s["name"]: s for s in client.request("scopes", {"frameId": frame["id"]})["scopes"]}
    asked = client.scope(frame["id"], "Interrupt")
    assert "ship it?" in asked["question"]["value"]
    with pytest.raises(DapError, match="answer"):
        client.request("continue")
    client.request("setVariable", {"variablesReference": scopes["Interrupt"]["variablesReference"],
                                   "name": "answer", "value": "'yes'"})
    client.request("continue")
    assert client.wait_event("exited")["exitCode"] == 0
    with WTBTestBench.create(workspace=ws) as bench:
        [execution] = bench.list_executions()
        assert bench.get_state(execution.id)["approved"] == "yes"


def test_pause_answers_during_a_long_node_and_stops_after_it(ws: Path, dap) -> None:
    client: DapClient = dap(ws)
    client.start({"workflow": "waiting", "workspace": str(ws), "input": {}})
    client.wait_event("output")
    _wait_for(ws / "started")
    client.request("pause")  # answered while slow() still waits for the release file
    assert client.request("threads")["threads"][0]["name"] == "waiting"
    assert not (ws / "release").exists()
    (ws / "release").write_text("go")
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "pause"
    frame = client.stopped_frame(stopped)
    assert frame["name"] == "after"  # stopped before the next step
    assert not (ws / "after.txt").exists()
    with WTBTestBench.create(workspace=ws) as bench:
        [execution] = bench.list_executions()
        assert execution.status is ExecutionStatus.PAUSED
    client.request("continue")
    assert client.wait_event("exited")["exitCode"] == 0
    assert (ws / "after.txt").read_text() == "after ran"


def test_terminate_answers_during_a_long_node(ws: Path, dap) -> None:
    client: DapClient = dap(ws)
    client.start({"workflow": "waiting", "workspace": str(ws), "input": {}})
    _wait_for(ws / "started")
    client.request("terminate")
    assert not (ws / "release").exists()
    (ws / "release").write_text("go")
    client.wait_event("terminated")
    assert not (ws / "after.txt").exists()
    with WTBTestBench.create(workspace=ws) as bench:
        [execution] = bench.list_executions()
        assert execution.status is ExecutionStatus.CANCELLED


def _wait_for(path: Path) -> None:
    """Until a node has written ``path`` (bounded only to turn a hang into a failure)."""
    import time

    for _ in range(12000):
        if path.exists():
            return
        time.sleep(0.01)
    raise AssertionError(f"{path} never appeared")


FAN_OUT = """
import operator
from typing import Annotated, TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    seen: Annotated[list[str], operator.add]

def left(state):
    return {"seen": ["left"]}

def right(state):
    return {"seen": ["right"]}

def join(state):
    return {"seen": ["join:" + ",".join(sorted(state["seen"]))]}

fan = StateGraph(S)
fan.add_node("left", left)
fan.add_node("right", right)
fan.add_node("join", join)
fan.add_edge(START, "left")
fan.add_edge(START, "right")
fan.add_edge(["left", "right"], "join")
fan.add_edge("join", END)
"""


def test_the_parallel_tasks_of_a_step_are_threads(make_workspace, dap) -> None:
    ws = make_workspace({"fan.py": FAN_OUT}, {"fan": "./fan.py:fan"})
    client: DapClient = dap(ws)
    client.start({"workflow": "fan", "workspace": str(ws), "input": {"seen": []}}, functions=["right"])
    stopped = client.wait_event("stopped")
    standing = next(e["body"] for e in reversed(client.seen) if e["event"] == "wtbCheckpoint")
    assert standing["step"] == 0
    threads = {t["name"].split(" ")[0]: t["id"] for t in client.request("threads")["threads"]}
    assert set(threads) == {"left", "right"} and stopped["threadId"] == threads["right"]
    for name, thread in threads.items():
        frames = client.request("stackTrace", {"threadId": thread})["stackFrames"]
        assert frames[0]["name"] == name and frames[0]["line"] == line_of(ws / "fan.py", f"def {name}(")
    client.request("next")
    stopped = client.wait_event("stopped")
    assert [t["name"].split(" ")[0] for t in client.request("threads")["threads"]] == ["join"]
    frame = client.stopped_frame(stopped)
    assert sorted(eval(client.scope(frame["id"], "State")["seen"]["value"])) == ["left", "right"]
    client.request("continue")
    assert client.wait_event("exited")["exitCode"] == 0


def test_disconnect_during_a_long_node_ends_the_adapter_and_cancels_the_run(ws: Path, dap) -> None:
    client: DapClient = dap(ws)
    client.start({"workflow": "waiting", "workspace": str(ws), "input": {}})
    _wait_for(ws / "started")
    client.request("disconnect", {"terminateDebuggee": True})  # answered although slow() never returns
    assert client.process.wait(timeout=120) == 0
    assert not (ws / "release").exists() and not (ws / "after.txt").exists()
    with WTBTestBench.create(workspace=ws) as bench:
        [execution] = bench.list_executions()
        assert execution.status is ExecutionStatus.CANCELLED
        assert execution.error is not None and "node was running" in execution.error.message
