"""Rollback: state and files together, exact, undoable, history kept (issue 4)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import RAG_INPUT
from tests.engine.conftest import workspace_tree
from wtb.errors import InvalidStateError, UnknownCheckpointError
from wtb.models import ExecutionStatus


def test_rollback_to_each_checkpoint_reproduces_state_and_exact_files(files_ws: Path, make_bench) -> None:
    bench = make_bench(files_ws)
    initial = workspace_tree(files_ws)
    execution = bench.run("files", {"tag": "x"})
    assert execution.status is ExecutionStatus.COMPLETED
    final = workspace_tree(files_ws)
    checkpoints = bench.get_checkpoints(execution.id)
    for checkpoint in checkpoints[1:] + checkpoints[:1]:
        result = bench.rollback(execution.id, checkpoint.id)
        state = bench.get_state(execution.id)
        expected = state.get("tree", initial)
        assert workspace_tree(files_ws) == expected, f"step {checkpoint.step}"
        assert bench.get_execution(execution.id).head_checkpoint_id == checkpoint.id
        assert result.checkpoint_id == checkpoint.id
    assert workspace_tree(files_ws) == final
    assert (files_ws / "bin.dat").read_bytes() == bytes(range(256))


def test_rollback_keeps_modes_and_leaves_ignored_files_alone(files_ws: Path, make_bench) -> None:
    (files_ws / ".gitignore").write_text("scratch/\n")
    bench = make_bench(files_ws)
    execution = bench.run("files", {"tag": "m"})
    (files_ws / "scratch").mkdir()
    (files_ws / "scratch" / "keep.txt").write_text("not tracked")
    after_create = next(c for c in bench.get_checkpoints(execution.id) if c.step == 1)
    result = bench.rollback(execution.id, after_create.id)
    assert stat.S_IMODE((files_ws / "work" / "b.txt").stat().st_mode) == 0o600
    assert (files_ws / "scratch" / "keep.txt").read_text() == "not tracked"
    assert sorted(result.files_removed) == ["work/c.txt"]
    assert sorted(result.files_written) == ["notes.md", "work/a.txt", "work/b.txt"]


def test_undo_restores_the_workspace_from_before_the_rollback(files_ws: Path, make_bench) -> None:
    bench = make_bench(files_ws)
    execution = bench.run("files", {"tag": "u"})
    (files_ws / "work" / "c.txt").write_text("edited by hand after the run")
    before = workspace_tree(files_ws)
    first = bench.get_checkpoints(execution.id)[-1]
    assert not bench.get_execution(execution.id).rollback_undoable
    bench.rollback(execution.id, first.id)
    assert workspace_tree(files_ws) != before
    assert bench.get_execution(execution.id).rollback_undoable  # what any editor offers Undo by
    assert [e.rollback_undoable for e in bench.list_executions()] == [True]
    undone = bench.undo_rollback(execution.id)
    assert workspace_tree(files_ws) == before
    assert undone.checkpoint_id == bench.get_checkpoints(execution.id)[0].id
    assert bench.get_execution(execution.id).status is ExecutionStatus.COMPLETED
    assert not bench.get_execution(execution.id).rollback_undoable
    with pytest.raises(InvalidStateError, match="no rollback to undo"):
        bench.undo_rollback(execution.id)


def test_resume_after_rollback_makes_a_new_branch_and_keeps_the_old(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    execution = bench.run("rag", RAG_INPUT)
    old = bench.get_checkpoints(execution.id)
    after_embed = next(c for c in old if c.step == 1)
    bench.rollback(execution.id, after_embed.id)
    assert not (sample_ws / "out" / "answer.md").exists()
    assert bench.get_execution(execution.id).rollback_undoable
    assert bench.get_execution(execution.id).status is ExecutionStatus.PAUSED
    resumed = bench.resume(execution.id, state_updates={"query": "What is Ray?"})
    assert resumed.status is ExecutionStatus.COMPLETED
    assert not bench.get_execution(execution.id).rollback_undoable  # the run moved on from the rollback
    now = bench.get_checkpoints(execution.id)
    assert {c.id for c in old} <= {c.id for c in now}
    assert len(now) == len(old) + 3  # the update, retrieve, generate
    assert "Ray is a framework" in (sample_ws / "out" / "answer.md").read_text()
    assert bench.get_state(execution.id, old[0].id)["answer"].startswith("Quarterly revenue")


def test_a_rollback_keeps_the_empty_folder_a_step_made_for_the_next_one(tmp_path: Path, make_bench) -> None:
    """``prepare`` makes ``out/`` and ``report`` writes into it: rolled back to after ``prepare``,
    ``out/`` is there (empty, as then), so the resume can run ``report`` again."""
    import os
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph

    from wtb import WorkflowProject

    class Report(TypedDict, total=False):
        done: bool

    def prepare(state: Report) -> Report:
        os.makedirs("out", exist_ok=True)
        return {}

    def report(state: Report) -> Report:
        with open("out/report.txt", "w", encoding="utf-8") as handle:  # no makedirs: prepare made it
            handle.write("done")
        return {"done": True}

    graph = StateGraph(Report)
    graph.add_node("prepare", prepare)
    graph.add_node("report", report)
    graph.add_edge(START, "prepare")
    graph.add_edge("prepare", "report")
    graph.add_edge("report", END)
    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="report", graph=graph))
    execution = bench.run("report", {})
    after_prepare = next(c for c in bench.get_checkpoints(execution.id) if "prepare" in c.writes)
    assert bench.get_files(execution.id, after_prepare.id) == {}  # an empty folder is no file
    bench.rollback(execution.id, after_prepare.id)
    assert (tmp_path / "out").is_dir() and not (tmp_path / "out" / "report.txt").exists()
    resumed = bench.resume(execution.id)
    assert resumed.status is ExecutionStatus.COMPLETED, resumed.error
    assert (tmp_path / "out" / "report.txt").read_text() == "done"
    bench.rollback(execution.id, bench.get_checkpoints(execution.id)[-1].id)  # the input: no out/ yet
    assert not (tmp_path / "out").exists()


def test_rollback_errors(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    execution = bench.run("rag", RAG_INPUT)
    with pytest.raises(UnknownCheckpointError):
        bench.rollback(execution.id, "nope")
    other = bench.run("reviser", {"topic": "T", "checklist": [], "max_rounds": 1})
    with pytest.raises(UnknownCheckpointError):
        bench.rollback(execution.id, bench.get_checkpoints(other.id)[0].id)
