"""``WTBSaver``'s ``copy_thread``, ``prune`` and ``delete_for_runs``, built on LangGraph's
public checkpointer methods (:mod:`wtb.engine.thread_copy`).

A copy carries every checkpoint and pending write, with the task paths LangGraph orders
writes by, so an interrupted thread's copy resumes as the original does. A rewrite that
a crash cuts short (a real process, killed between two checkpoints of the copy) loses
nothing: killed while staging, the thread is as it was; killed while swapping, the next
open finishes it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from wtb import WTBSaver, WTBTestBench
from wtb.engine.thread_copy import STAGING_SUFFIX


class Notes(TypedDict, total=False):
    topic: str
    notes: list[str]


def _note(name: str) -> Any:
    def node(state: Notes) -> Notes:
        Path(f"{name}.txt").write_text(state.get("topic", ""))
        return {"notes": [*state.get("notes", []), name]}

    return node


def _asking() -> StateGraph:
    def ask(state: Notes) -> Notes:
        return {"topic": str(interrupt("which topic?"))}

    graph = StateGraph(Notes)
    graph.add_node("draft", _note("draft"))
    graph.add_node("ask", ask)
    graph.add_node("review", _note("review"))
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "ask")
    graph.add_edge("ask", "review")
    graph.add_edge("review", END)
    return graph


def _config(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread, "wtb_project": "notes"}}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def test_a_copy_of_an_interrupted_thread_resumes_as_the_original(workspace: Path, tmp_path: Path) -> None:
    with WTBSaver(workspace, tmp_path / "data") as saver:
        app = _asking().compile(checkpointer=saver)
        app.invoke({"topic": "?"}, _config("src"), durability="sync")
        saver.copy_thread("src", "dst")
        source, copy = app.get_state(_config("src")), app.get_state(_config("dst"))
        assert copy.values == source.values and copy.next == source.next == ("ask",)
        assert [i.value for t in copy.tasks for i in t.interrupts] == ["which topic?"]
        theirs = app.invoke(Command(resume="moths"), _config("src"), durability="sync")
        ours = app.invoke(Command(resume="moths"), _config("dst"), durability="sync")
        assert ours == theirs == {"topic": "moths", "notes": ["draft", "review"]}


def test_writes_of_an_apps_run_are_named_by_their_node(workspace: Path, tmp_path: Path) -> None:
    """A checkpoint no WTB run recorded: its writes are grouped by the node its task path names."""
    data = tmp_path / "data"
    with WTBSaver(workspace, data) as saver:
        app = _asking().compile(checkpointer=saver)
        app.invoke({"topic": "tides"}, _config("named"), durability="sync")
        app.invoke(Command(resume="tides"), _config("named"), durability="sync")
        saver.copy_thread("named", "copied")
    with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
        for execution in bench.list_executions():
            written = {node for c in bench.get_checkpoints(execution.id) for node in c.writes}
            assert {"draft", "ask", "review"} <= written, (execution.thread_id, written)
            assert "?" not in written


CRASHING_PRUNE = textwrap.dedent(
    """
    import os, sys
    import wtb.faults
    from wtb import WTBSaver
    crash_at, puts = int(sys.argv[3]), [0]

    def hit(point):
        if point == "thread_copy.put":
            puts[0] += 1
            if puts[0] == crash_at:
                os._exit(9)
        return False

    wtb.faults.hit = hit
    saver = WTBSaver(sys.argv[1], sys.argv[2])
    saver.delete_for_runs([sys.argv[4]])
    os._exit(0)
    """
)


def _two_runs(workspace: Path, data: Path) -> tuple[list[str], list[str], str]:
    """A thread with two LangGraph runs: (every checkpoint id, the first run's, the second run's id)."""
    graph = StateGraph(Notes)
    graph.add_node("draft", _note("draft"))
    graph.add_node("review", _note("review"))
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", END)
    with WTBSaver(workspace, data) as saver:
        app = graph.compile(checkpointer=saver)
        app.invoke({"topic": "one"}, _config("t"), durability="sync")
        first = [s.config["configurable"]["checkpoint_id"] for s in app.get_state_history(_config("t"))]
        second_run = str(uuid.uuid4())
        app.invoke({"topic": "two"}, {**_config("t"), "metadata": {"run_id": second_run}}, durability="sync")
        every = list(app.get_state_history(_config("t")))
        assert str(every[0].metadata.get("run_id")) == second_run
    return [s.config["configurable"]["checkpoint_id"] for s in every], first, second_run


@pytest.mark.parametrize("phase", ["staging", "swapping"])
def test_a_rewrite_killed_midway_loses_nothing(workspace: Path, tmp_path: Path, phase: str) -> None:
    data = tmp_path / "data"
    every, first, second_run = _two_runs(workspace, data)
    # Puts 1..len(first) fill the staging thread; the next ones copy it back over the thread.
    crash_at = 2 if phase == "staging" else len(first) + 2
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_PRUNE, str(workspace), str(data), str(crash_at), second_run],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr
    with WTBSaver(workspace, data) as saver:  # opening recovers
        left = [t.checkpoint["id"] for t in saver.list({"configurable": {"thread_id": "t"}})]
        assert left == (every if phase == "staging" else first)
        assert list(saver.list({"configurable": {"thread_id": "t" + STAGING_SUFFIX}})) == []
    with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
        [execution] = bench.list_executions()
        assert execution.head_checkpoint_id == left[0]
        assert bench.get_state(execution.id)["topic"] == ("two" if phase == "staging" else "one")
