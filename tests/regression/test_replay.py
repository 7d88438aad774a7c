"""Record/replay: only nodes whose read state changed run again; replayed files are identical (issue 9)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wtb import ExecutionConfig, WorkflowProject

DRAFTS = """
import os
from pathlib import Path
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    topic: str
    prompt_a: str
    prompt_b: str
    plan: str
    draft_a: str
    draft_b: str
    final: str

def model_call(name):
    with open(os.environ["WTB_TEST_CALLS"], "a") as log:
        log.write(name + "\\n")

def plan(state):
    model_call("plan")
    return {"plan": "plan for " + state["topic"]}

def write_a(state):
    model_call("write_a")
    Path("drafts").mkdir(exist_ok=True)
    Path("drafts/a.txt").write_text(state["prompt_a"] + " | " + state["plan"])
    return {"draft_a": state["prompt_a"].upper()}

def write_b(state):
    model_call("write_b")
    Path("drafts").mkdir(exist_ok=True)
    Path("drafts/b.txt").write_text(state["prompt_b"] + " | " + state["plan"])
    return {"draft_b": state["prompt_b"].upper()}

def combine(state):
    model_call("combine")
    Path("final.md").write_text(state["draft_a"] + "\\n" + state["draft_b"])
    return {"final": state["draft_a"] + " + " + state["draft_b"]}

graph = StateGraph(S)
for name, fn in [("plan", plan), ("write_a", write_a), ("write_b", write_b), ("combine", combine)]:
    graph.add_node(name, fn)
graph.add_edge(START, "plan")
graph.add_edge("plan", "write_a")
graph.add_edge("write_a", "write_b")
graph.add_edge("write_b", "combine")
graph.add_edge("combine", END)
"""

INPUT = {"topic": "ray", "prompt_a": "intro", "prompt_b": "details"}


@pytest.fixture
def calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    log = tmp_path / "calls.log"
    monkeypatch.setenv("WTB_TEST_CALLS", str(log))

    def taken() -> list[str]:
        names = log.read_text().split() if log.exists() else []
        log.unlink(missing_ok=True)
        return names

    return taken


@pytest.fixture
def bench(make_workspace, make_bench):
    ws = make_workspace({"drafts_flow.py": DRAFTS}, {})
    bench = make_bench(ws)
    bench.register_project(
        WorkflowProject(name="drafts", graph="./drafts_flow.py:graph", execution=ExecutionConfig(replay="recorded"))
    )
    return bench


def test_a_fork_resumed_with_replay_calls_only_the_nodes_whose_input_changed(bench, calls) -> None:
    first = bench.run("drafts", INPUT)
    assert calls() == ["plan", "write_a", "write_b", "combine"]
    a_bytes = (bench.workspace / "drafts" / "a.txt").read_bytes()
    after_plan = next(c for c in bench.get_checkpoints(first.id) if "plan" in c.writes)
    fork = bench.fork(first.id, after_plan.id, state_updates={"prompt_b": "more details"})
    (bench.workspace / "drafts" / "a.txt").unlink()
    bench.resume(fork.id)
    assert calls() == ["write_b", "combine"]
    assert (bench.workspace / "drafts" / "a.txt").read_bytes() == a_bytes
    state = bench.get_state(fork.id)
    assert state["final"] == "INTRO + MORE DETAILS"
    replayed = [c.replayed for c in bench.get_checkpoints(fork.id) if c.replayed]
    assert replayed == [["write_a"]]


def test_a_rerun_with_identical_input_replays_everything(bench, calls) -> None:
    first = bench.run("drafts", INPUT)
    calls()
    second = bench.run("drafts", INPUT)
    assert calls() == []
    assert bench.get_state(second.id)["final"] == bench.get_state(first.id)["final"]
    assert bench.read_file(second.id, None, "final.md") == bench.read_file(first.id, None, "final.md")
    replayed = [node for c in bench.get_checkpoints(second.id) for node in c.replayed]
    assert sorted(replayed) == ["combine", "plan", "write_a", "write_b"]


def test_without_replay_every_node_runs(make_workspace, make_bench, calls) -> None:
    ws = make_workspace({"drafts_flow.py": DRAFTS}, {"plain": "./drafts_flow.py:graph"})
    bench = make_bench(ws)
    bench.run("plain", INPUT)
    bench.run("plain", INPUT)
    assert len(calls()) == 8
    assert os.environ["WTB_TEST_CALLS"]
