"""Running workflows: checkpoints per super-step, state, failures (issue 2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from tests.conftest import LINEAR_WORKFLOW, RAG_INPUT
from wtb.models import ExecutionStatus


def test_run_rag_to_completion_checkpoints_every_super_step(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    execution = bench.run("rag", RAG_INPUT)
    assert execution.status is ExecutionStatus.COMPLETED
    assert execution.thread_id == f"wtb-{execution.id}"
    assert execution.finished_at is not None
    checkpoints = bench.get_checkpoints(execution.id)
    assert [c.step for c in checkpoints] == [3, 2, 1, 0, -1]
    assert [list(c.writes) for c in checkpoints[:3]] == [["rag_generate"], ["rag_retrieve"], ["rag_embed_docs"]]
    assert checkpoints[1].next == ["rag_generate"] and checkpoints[0].next == []
    assert checkpoints[0].parent_id == checkpoints[1].id
    state = bench.get_state(execution.id)
    assert state["answer"].startswith("Quarterly revenue grew to 4.2 million")
    assert (sample_ws / "out" / "answer.md").is_file()


def test_checkpoints_are_readable_with_langgraphs_own_saver(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    execution = bench.run("rag", RAG_INPUT)
    ours = [c.id for c in bench.get_checkpoints(execution.id)]
    with sqlite3.connect(sample_ws / ".wtb" / "wtb_checkpoints.db") as conn:
        saver = SqliteSaver(conn)
        config = {"configurable": {"thread_id": f"wtb-{execution.id}"}}
        theirs = [t.checkpoint["id"] for t in saver.list(config)]
        latest = saver.get_tuple(config)
    assert theirs == ours
    assert latest is not None and latest.checkpoint["channel_values"]["retrieved"] == ["revenue.txt", "langgraph.txt"]


def test_state_at_an_old_checkpoint_and_paging(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    execution = bench.run("rag", RAG_INPUT)
    checkpoints = bench.get_checkpoints(execution.id)
    after_embed = next(c for c in checkpoints if c.step == 1)
    state = bench.get_state(execution.id, after_embed.id)
    assert state["doc_count"] == 4
    assert "retrieved" not in state and "answer" not in state
    page = bench.get_checkpoints(execution.id, limit=2, before=checkpoints[1].id)
    assert [c.step for c in page] == [1, 0]


def test_pages_walked_with_before_are_the_whole_list_in_order_for_a_run_and_its_fork(
    sample_ws: Path, make_bench
) -> None:
    """A page reads a page's worth of checkpoints (issue: a long run's first page read them
    all); walked with ``before`` the pages are exactly the full list, also for a fork, whose
    thread holds its parent's steps under its head, at every page size."""
    bench = make_bench(sample_ws)
    reviser = {"topic": "WTB", "checklist": ["alpha", "beta", "gamma", "delta"], "max_rounds": 10}
    execution = bench.run("reviser", reviser)
    middle = bench.get_checkpoints(execution.id)[5]
    fork = bench.fork(execution.id, middle.id, state_updates={"max_rounds": 2})
    bench.resume(fork.id)
    for execution_id in (execution.id, fork.id):
        whole = [c.id for c in bench.get_checkpoints(execution_id)]
        for size in (1, 2, 3, 5):
            walked: list[str] = []
            while True:
                page = bench.get_checkpoints(execution_id, limit=size, before=walked[-1] if walked else None)
                walked += [c.id for c in page]
                if len(page) < size:
                    break
            assert walked == whole, (execution_id, size)
        paged = bench.get_checkpoints(execution_id, limit=4)
        assert [(c.id, c.writes, c.next) for c in paged] == [
            (c.id, c.writes, c.next) for c in bench.get_checkpoints(execution_id)[:4]
        ]


def test_a_failing_node_fails_the_execution_and_keeps_earlier_checkpoints(make_workspace, make_bench) -> None:
    ws = make_workspace(
        {
            "flow.py": LINEAR_WORKFLOW
            + """
def explode(state):
    raise RuntimeError("the model is down")

def broken():
    g = build(2)
    g.add_node("explode", explode)
    g.add_edge("s1", "explode")
    return g
"""
        },
        {"broken": "./flow.py:broken"},
    )
    bench = make_bench(ws)
    execution = bench.run("broken", {"n": 0})
    assert execution.status is ExecutionStatus.FAILED
    assert execution.error is not None
    assert execution.error.node == "explode"
    assert execution.error.type == "RuntimeError"
    assert "the model is down" in execution.error.message
    assert "explode" in execution.error.traceback
    steps = [c.step for c in bench.get_checkpoints(execution.id)]
    assert steps == [2, 1, 0, -1]
    assert bench.get_state(execution.id)["n"] == 2
    assert bench.get_execution(execution.id).status is ExecutionStatus.FAILED


def test_executions_are_listed_newest_first_and_by_project(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    first = bench.run("rag", RAG_INPUT)
    second = bench.run("reviser", {"topic": "Ray", "checklist": ["actors"], "max_rounds": 3})
    assert [e.id for e in bench.list_executions()] == [second.id, first.id]
    assert [e.id for e in bench.list_executions(project="rag")] == [first.id]
    assert [e.id for e in bench.list_executions(limit=1, offset=1)] == [first.id]
    assert second.status is ExecutionStatus.COMPLETED
    assert bench.get_state(second.id)["rounds"] == 1


def test_conditional_loop_records_each_round(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    execution = bench.run("reviser", {"topic": "Ray", "checklist": ["actors", "scheduling"], "max_rounds": 5})
    nodes = [next(iter(c.writes), None) for c in reversed(bench.get_checkpoints(execution.id))]
    assert nodes == [None, "__start__", "write_draft", "review", "revise", "review", "revise", "review"]
    assert "scheduling" in (sample_ws / "drafts" / "draft.md").read_text()
