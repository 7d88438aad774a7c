"""Going on inside one of several subgraph instances that ask questions (``Send`` to a
subgraph that calls ``interrupt()``), and stopping there again.

The run stores no root step then: each instance stopped somewhere of its own (one at its
question, another finished). The execution must wait on every question still open, be
paused while one is, and a resume must go on from where each instance stood, not start
the others over (which asked again, for ever). Which instance stores its last
checkpoint last is thread timing, so the graph here makes it deterministic: ``t0``'s
subgraph is slow to finish once answered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph import StateGraph

from tests.corpus.graphs import MapState, _map_reduce, item_asker, write
from wtb import WorkflowProject
from wtb.errors import InvalidArgumentError
from wtb.models import Execution, ExecutionStatus

ANSWERS = {"Keep t0?": "yes", "Keep t1?": "no"}
DONE = {"topic": "t", "items": ["t0", "t1"], "results": ["t0:yes", "t1:no"], "summary": "t0:yes,t1:no"}


def reviews(slow_item: str) -> StateGraph:
    """``plan`` sends ``t0`` and ``t1`` to ``review``, a subgraph that asks about its item;
    the instance for ``slow_item`` takes a while to finish once answered."""
    inner = item_asker("Keep {item}?", "reviews/{item}.txt", "{item}:{verdict}", slow_item=slow_item)

    def plan(state: MapState) -> MapState:
        return {"items": ["t0", "t1"]}

    def gather(state: MapState) -> MapState:
        summary = ",".join(sorted(state.get("results", [])))
        write("reviews/summary.txt", summary)
        return {"summary": summary}

    return _map_reduce(plan, "review", inner, gather)


def answered(execution: Execution) -> dict[str, str]:
    return {record.id: ANSWERS[record.value] for record in execution.interrupts}


@pytest.fixture
def done_run(tmp_path: Path, make_bench: Callable[..., Any]) -> tuple[Any, Execution]:
    """The graph run to its end (both questions answered at once), as a user first runs it."""
    bench = make_bench(tmp_path, mode="testing")
    bench.register_project(WorkflowProject(name="reviews", graph=reviews("t0")))
    paused = bench.run("reviews", {"topic": "t"})
    assert sorted(r.value for r in paused.interrupts) == ["Keep t0?", "Keep t1?"]
    done = bench.resume(paused.id, resume_value=answered(paused))
    assert done.status is ExecutionStatus.COMPLETED, done.error
    return bench, done


def t0_step(bench: Any, execution_id: str, *, last: bool) -> str:
    """The checkpoint inside ``t0``'s subgraph where it asks (or, ``last``, where it finished)."""
    for checkpoint in bench.get_checkpoints(execution_id, subgraphs=True):
        if not checkpoint.namespace or bench.get_state(execution_id, checkpoint.id).get("item") != "t0":
            continue
        if (not checkpoint.next) == last and (last or checkpoint.next == ["ask"]):
            return str(checkpoint.id)
    raise AssertionError("no such step of t0's subgraph")


def assert_done(bench: Any, execution: Execution, workspace: Path) -> None:
    assert execution.status is ExecutionStatus.COMPLETED, execution.error
    state = bench.get_state(execution.id)
    assert {k: v for k, v in state.items() if k != "_output_files"} == DONE
    assert (workspace / "reviews" / "summary.txt").read_text() == "t0:yes,t1:no"
    assert (workspace / "reviews" / "t0.txt").read_text() == "yes"


def test_both_instances_asking_again_are_both_shown_and_answered_at_once(
    done_run: tuple[Any, Execution], tmp_path: Path
) -> None:
    """Rolled back to where ``t0`` asks: going on asks ``t0`` again and starts ``t1`` over,
    which asks too. Both questions are pending; one answer cannot go to both."""
    bench, done = done_run
    bench.rollback(done.id, t0_step(bench, done.id, last=False))
    assert bench.get_execution(done.id).interrupts == []  # answered then: asked anew as it goes on
    stopped = bench.resume(done.id)
    assert stopped.status is ExecutionStatus.PAUSED
    assert sorted(r.value for r in stopped.interrupts) == ["Keep t0?", "Keep t1?"]
    assert sorted(r.value for r in bench.get_execution(done.id).interrupts) == ["Keep t0?", "Keep t1?"]
    with pytest.raises(InvalidArgumentError, match="dict keyed by their ids"):
        bench.resume(done.id, resume_value="yes")
    assert_done(bench, bench.resume(done.id, resume_value=answered(stopped)), tmp_path)


def test_an_instance_that_finishes_last_does_not_end_the_run_while_another_asks(
    done_run: tuple[Any, Execution], tmp_path: Path
) -> None:
    """Forked at ``t0``'s question and answered: ``t0`` finishes (slowly, so its last step is
    the run's last checkpoint) while ``t1``, started over, asks. Paused, on ``t1``'s question."""
    bench, done = done_run
    fork = bench.fork(done.id, t0_step(bench, done.id, last=False))
    assert [r.value for r in fork.interrupts] == ["Keep t0?"]
    stopped = bench.resume(fork.id, resume_value=answered(fork))
    assert stopped.status is ExecutionStatus.PAUSED, stopped.error
    assert [r.value for r in stopped.interrupts] == ["Keep t1?"]
    assert stopped.next_nodes == ["ask"]
    assert_done(bench, bench.resume(fork.id, resume_value=answered(stopped)), tmp_path)


def test_an_instance_that_finished_is_not_started_over_by_the_next_resume(
    done_run: tuple[Any, Execution], tmp_path: Path
) -> None:
    """Rolled back to ``t0``'s last step: going on, ``t0`` is done and ``t1`` starts over and
    asks. Answered, the run ends; ``t0`` is not run (nor asked) again."""
    bench, done = done_run
    bench.rollback(done.id, t0_step(bench, done.id, last=True))
    stopped = bench.resume(done.id)
    assert stopped.status is ExecutionStatus.PAUSED, stopped.error
    assert [r.value for r in stopped.interrupts] == ["Keep t1?"]
    assert_done(bench, bench.resume(done.id, resume_value=answered(stopped)), tmp_path)


def test_a_fork_of_where_both_stopped_waits_on_both_questions(
    done_run: tuple[Any, Execution], tmp_path: Path
) -> None:
    """Forked at the head where a resume stopped with both instances asking: the fork is the
    run as it was paused there, both questions pending, and one answer of both ends it
    without asking either again."""
    bench, done = done_run
    bench.rollback(done.id, t0_step(bench, done.id, last=False))
    stopped = bench.resume(done.id)
    assert sorted(r.value for r in stopped.interrupts) == ["Keep t0?", "Keep t1?"]
    fork = bench.fork(done.id, str(stopped.head_checkpoint_id))
    assert fork.status is ExecutionStatus.PAUSED
    assert sorted((r.value, r.id) for r in fork.interrupts) == sorted((r.value, r.id) for r in stopped.interrupts)
    assert_done(bench, bench.resume(fork.id, resume_value=answered(fork)), tmp_path)


def test_a_damaged_stop_record_is_ignored_not_fatal(
    done_run: tuple[Any, Execution], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The record of where each subgraph stood is WTB's own row beside LangGraph's tables;
    damaged, the execution reads as its head alone (one question), with a warning."""
    import sqlite3

    bench, done = done_run
    bench.rollback(done.id, t0_step(bench, done.id, last=False))
    stopped = bench.resume(done.id)
    assert len(stopped.interrupts) == 2
    checkpoints = bench.data_dir / "wtb_checkpoints.db"
    with sqlite3.connect(checkpoints) as conn:
        assert conn.execute("UPDATE wtb_stop_heads SET heads = '{not json'").rowcount == 1
    with caplog.at_level("WARNING"):
        shown = bench.get_execution(done.id)
    assert len(shown.interrupts) == 1 and shown.interrupts[0].id in {r.id for r in stopped.interrupts}
    assert "unreadable" in caplog.text
