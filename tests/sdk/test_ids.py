"""Ids the way the editor shows them (issue 20): unique prefixes of execution ids, prefixes
and suffixes of checkpoint ids, ``@N`` for a step on the execution's line, and clear errors
for an ambiguous or unknown short id."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LINEAR_WORKFLOW
from wtb.engine import runs
from wtb.errors import AmbiguousIdError, InvalidArgumentError, UnknownCheckpointError, UnknownExecutionError
from wtb.models import ExecutionStatus

SUBGRAPH_WORKFLOW = """
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    log: str

inner = StateGraph(S)
inner.add_node("i1", lambda s: {"log": s.get("log", "") + "i1,"})
inner.add_node("i2", lambda s: {"log": s["log"] + "i2,"})
inner.add_edge(START, "i1")
inner.add_edge("i1", "i2")
inner.add_edge("i2", END)

graph = StateGraph(S)
graph.add_node("first", lambda s: {"log": "first,"})
graph.add_node("sub", inner.compile())
graph.add_node("last", lambda s: {"log": s["log"] + "last,"})
graph.add_edge(START, "first")
graph.add_edge("first", "sub")
graph.add_edge("sub", "last")
graph.add_edge("last", END)
"""


@pytest.fixture
def line_bench(make_workspace: Callable[..., Path], make_bench: Callable[..., Any]) -> Any:
    ws = make_workspace({"line.py": LINEAR_WORKFLOW, "sub.py": SUBGRAPH_WORKFLOW},
                        {"line": "./line.py:graph", "sub": "./sub.py:graph"})
    return make_bench(ws)


def test_a_unique_prefix_names_an_execution_everywhere(line_bench: Any) -> None:
    done = line_bench.run("line", {"n": 0})
    short = done.id[:8]
    assert line_bench.get_execution(short).id == done.id
    assert line_bench.get_state(short)["n"] == 3
    assert [c.id for c in line_bench.get_checkpoints(short)] == [c.id for c in line_bench.get_checkpoints(done.id)]
    with pytest.raises(UnknownExecutionError, match="No execution 'ffffffff'"):
        line_bench.get_execution("ffffffff")
    with pytest.raises(UnknownExecutionError, match="a prefix needs 4 characters"):
        line_bench.get_execution(done.id[:2])


def test_an_ambiguous_execution_prefix_lists_the_matches(line_bench: Any) -> None:
    services = line_bench.services
    for suffix in ("01", "02"):
        runs.create_execution(services, "line", {"n": 0}, execution_id=f"beef000000{suffix}")
    with pytest.raises(AmbiguousIdError) as caught:
        line_bench.get_execution("beef0000")
    assert isinstance(caught.value, InvalidArgumentError)
    assert sorted(caught.value.matches) == ["beef00000001", "beef00000002"]
    assert "beef00000001" in str(caught.value) and "beef00000002" in str(caught.value)
    assert line_bench.get_execution("beef00000002").id == "beef00000002"


def test_a_checkpoint_by_prefix_suffix_or_step(line_bench: Any) -> None:
    done = line_bench.run("line", {"n": 0})
    checkpoints = line_bench.get_checkpoints(done.id)
    by_step = {c.step: c for c in checkpoints}
    second = by_step[1]
    suffix = second.id.replace("-", "")[-8:]  # what the editor shows
    assert line_bench.get_state(done.id[:8], suffix)["n"] == 1
    assert line_bench.get_state(done.id[:8], "@1") == line_bench.get_state(done.id, second.id)
    assert "n" not in line_bench.get_state(done.id, "@-1")  # the input checkpoint: nothing applied yet
    assert line_bench.get_state(done.id, "head")["n"] == 3
    assert line_bench.read_file(done.id[:8], "@1", "line.py") == LINEAR_WORKFLOW.encode()
    # the checkpoints of one run share their first characters: a prefix that long names them all
    shared = second.id[:8]
    with pytest.raises(AmbiguousIdError, match=r"@N") as caught:
        line_bench.get_state(done.id, shared)
    assert sorted(caught.value.matches) == sorted(c.id for c in checkpoints)
    with pytest.raises(UnknownCheckpointError, match=r"no step 9 .* its steps are -1\.\.3"):
        line_bench.get_state(done.id, "@9")
    diff = line_bench.diff(done.id[:8], "@1", done.id[:8], "@2")
    assert diff.state.changed["n"] == [1, 2]


def test_a_step_names_the_checkpoint_on_the_heads_line_after_a_rollback_and_resume(line_bench: Any) -> None:
    done = line_bench.run("line", {"n": 0})
    first_three = line_bench.get_checkpoints(done.id)[0]
    assert line_bench.rollback(done.id[:8], "@1").checkpoint_id == line_bench.get_checkpoints(done.id)[2].id
    assert line_bench.get_execution(done.id).status is ExecutionStatus.PAUSED
    assert line_bench.get_state(done.id, "@3")["n"] == 3  # not on the head's line yet: the only step 3
    resumed = line_bench.resume(done.id[:8], {"n": 10})
    assert resumed.status is ExecutionStatus.COMPLETED
    threes = [c for c in line_bench.get_checkpoints(done.id) if c.step == 3]
    assert len(threes) == 2 and first_three.id in {c.id for c in threes}
    # the edit is a step of its own (2), s1 made the new step 3, s2 the head (4)
    assert line_bench.get_state(done.id, first_three.id)["n"] == 3
    assert line_bench.get_state(done.id, "@3")["n"] == 11  # the one on the head's line wins
    assert line_bench.get_state(done.id)["n"] == 12
    line_bench.rollback(done.id, first_three.id)  # back on the first branch: its step 3, not the newest
    assert line_bench.get_state(done.id, "@3")["n"] == 3


def test_a_step_is_counted_in_the_root_graph_not_inside_a_subgraph(line_bench: Any) -> None:
    done = line_bench.run("sub", {})
    everything = line_bench.get_checkpoints(done.id, subgraphs=True)
    assert {c.namespace for c in everything} != {""}  # the subgraph's steps are recorded too
    root_one = next(c for c in everything if c.namespace == "" and c.step == 1)
    assert line_bench.get_state(done.id, "@1") == line_bench.get_state(done.id, root_one.id)
    assert line_bench.fork(done.id[:8], "@1").parent_checkpoint_id == root_one.id


def test_a_run_with_a_pause_at_no_node_or_a_broken_file_records_nothing(
    line_bench: Any, make_workspace: Callable[..., Path], make_bench: Callable[..., Any]
) -> None:
    from wtb.config import PauseStrategyConfig
    from wtb.errors import WorkflowLoadError

    with pytest.raises(InvalidArgumentError, match=r"no node 'nosuchnode' to pause at; its nodes: s0, s1, s2"):
        line_bench.run("line", {}, pause=PauseStrategyConfig(before=["nosuchnode"]))
    assert line_bench.list_executions() == []
    ws = make_workspace({"bad.py": "def broken(:\n"}, {"bad": "./bad.py:graph"}, name="broken")
    bench = make_bench(ws)
    with pytest.raises(WorkflowLoadError, match="SyntaxError"):
        bench.run("bad", {})
    assert bench.list_executions() == []


def test_the_execution_record_keeps_its_input(line_bench: Any) -> None:
    done = line_bench.run("line", {"n": 5, "log": "x"})
    assert done.initial_state == {"n": 5, "log": "x"}
    assert line_bench.get_execution(done.id[:8]).initial_state == {"n": 5, "log": "x"}
    assert line_bench.list_executions()[0].initial_state == {"n": 5, "log": "x"}


def test_resuming_a_completed_execution_with_nothing_to_run_is_an_error(line_bench: Any) -> None:
    from wtb.errors import InvalidStateError

    done = line_bench.run("line", {"n": 0})
    with pytest.raises(InvalidStateError, match="completed: its head has no next node"):
        line_bench.resume(done.id)
    assert len(line_bench.get_checkpoints(done.id)) == 5  # nothing ran


def test_prune_removes_pending_executions_that_never_started(line_bench: Any) -> None:
    done = line_bench.run("line", {"n": 0})
    orphan = line_bench.create_execution("line", {"n": 1})
    fresh = line_bench.create_execution("line", {"n": 2})
    with closing(sqlite3.connect(line_bench.data_dir / "wtb.db")) as conn, conn:
        conn.execute("UPDATE executions SET created_at = created_at - 3600 WHERE id = ?", (orphan.id,))
    report = line_bench.prune()
    assert report.deleted == [orphan.id]
    assert {e.id for e in line_bench.list_executions()} == {done.id, fresh.id}  # a fresh one may be about to start
