"""``wtb.WTBSaver``: WTB's checkpointer in a LangGraph app of the user's.

It passes LangGraph's checkpointer conformance suite for every capability (the optional
``copy_thread``, ``prune`` and ``delete_for_runs`` included), and an app compiled with it
(sync or async nodes) shows up in a bench opened on the same workspace: its execution per
thread, checkpoints, state and the files of every checkpoint.
"""

from __future__ import annotations

import asyncio
import copy
import threading
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES
from langgraph.checkpoint.conformance.report import ProgressCallbacks
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from wtb import WorkflowProject, WTBSaver, WTBTestBench
from wtb.models import ExecutionStatus

# -- conformance --------------------------------------------------------------------------


@pytest.mark.parametrize("capability", sorted(c.value for c in ALL_CAPABILITIES))
async def test_conformance(tmp_path: Path, capability: str) -> None:
    (tmp_path / "notes.txt").write_text("a file of the workspace")

    @checkpointer_test(name=f"WTBSaver-{capability}")
    async def saver() -> AsyncGenerator[WTBSaver, None]:
        # Every suite a fresh data dir (the suites count checkpoints across all threads).
        with WTBSaver(tmp_path, tmp_path / f"data-{uuid.uuid4().hex[:6]}") as fresh:
            yield fresh

    lines: list[str] = []
    progress = ProgressCallbacks(
        on_test_result=lambda cap, name, ok, error: lines.append(f"{cap}.{name}: {'ok' if ok else error}")
    )
    report = await validate(saver, capabilities={capability}, progress=progress)
    result = report.results[capability]
    assert result.detected, f"{capability} is not implemented"
    assert result.passed, "\n".join(line for line in lines if not line.endswith(": ok"))
    assert result.tests_passed > 0 and result.tests_failed == 0


# -- an app compiled with WTBSaver ----------------------------------------------------------


class State(TypedDict, total=False):
    topic: str
    written: list[str]


def _write(workspace: Path, name: str, state: State) -> State:
    path = workspace / "out" / f"{name}.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"{name}:{state.get('topic', '')}")
    return {"written": [*state.get("written", []), f"out/{name}.txt"]}


def _sync_graph(workspace: Path) -> StateGraph:
    graph = StateGraph(State)
    graph.add_node("draft", lambda state: _write(workspace, "draft", state))
    graph.add_node("review", lambda state: _write(workspace, "review", state))
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", END)
    return graph


def _async_graph(workspace: Path) -> StateGraph:
    async def draft(state: State) -> State:
        await asyncio.sleep(0)
        return _write(workspace, "draft", state)

    async def review(state: State) -> State:
        await asyncio.sleep(0)
        return _write(workspace, "review", state)

    graph = StateGraph(State)
    graph.add_node("draft", draft)
    graph.add_node("review", review)
    graph.add_edge(START, "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", END)
    return graph


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "seed.txt").write_text("seed")
    return root


def _history_ids(app: Any, config: dict[str, Any]) -> list[str]:
    return [s.config["configurable"]["checkpoint_id"] for s in app.get_state_history(config)]


def _check_recorded(bench: WTBTestBench, app: Any, config: dict[str, Any], project: str) -> str:
    """The thread is one execution of ``project`` whose checkpoints, state and files are LangGraph's."""
    thread_id = config["configurable"]["thread_id"]
    [execution] = [e for e in bench.list_executions() if e.thread_id == thread_id]
    assert execution.project == project
    assert execution.status is ExecutionStatus.COMPLETED
    checkpoints = bench.get_checkpoints(execution.id)
    history = list(app.get_state_history(config))
    assert [c.id for c in checkpoints] == _history_ids(app, config)
    assert execution.head_checkpoint_id == checkpoints[0].id
    for checkpoint, snapshot in zip(checkpoints, history, strict=True):
        values = snapshot.values
        state = bench.get_state(execution.id, checkpoint.id)
        assert state.get("written") == values.get("written")
        files = bench.get_files(execution.id, checkpoint.id)
        assert set(files) == {"seed.txt", *values.get("written", [])}, checkpoint
        for path in values.get("written", []):
            name = Path(path).stem
            assert bench.read_file(execution.id, checkpoint.id, path) == f"{name}:{values['topic']}".encode()
    outputs = {c.step: set(c.output_files) for c in checkpoints}
    assert outputs[1] == {"out/draft.txt"} and outputs[2] == {"out/review.txt"}
    return execution.id


def test_a_sync_app_appears_in_the_bench_with_its_files(workspace: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    config: dict[str, Any] = {"configurable": {"thread_id": "chat-1", "wtb_project": "writer"}}
    with WTBSaver(workspace, data) as saver:
        app = _sync_graph(workspace).compile(checkpointer=saver)
        result = app.invoke({"topic": "owls"}, config, durability="sync")
        assert result["written"] == ["out/draft.txt", "out/review.txt"]
        with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
            execution_id = _check_recorded(bench, app, config, "writer")
            assert bench.get_execution(execution_id).state["written"] == result["written"]
            # A rollback to the step after "draft" brings its files back and moves the head.
            after_draft = next(c for c in bench.get_checkpoints(execution_id) if c.step == 1)
            bench.rollback(execution_id, after_draft.id)
            assert not (workspace / "out" / "review.txt").exists()
            assert (workspace / "out" / "draft.txt").read_text() == "draft:owls"
            assert bench.get_execution(execution_id).head_checkpoint_id == after_draft.id


async def test_an_async_app_appears_in_the_bench_as_external(workspace: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    config: dict[str, Any] = {"configurable": {"thread_id": "async-1"}}
    async with WTBSaver(workspace, data) as saver:
        app = _async_graph(workspace).compile(checkpointer=saver)
        chunks = [chunk async for chunk in app.astream({"topic": "bats"}, config, durability="sync")]
        assert [next(iter(c)) for c in chunks] == ["draft", "review"]
        with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
            _check_recorded(bench, app, config, "external")


def test_default_data_dir_is_the_benchs(workspace: Path) -> None:
    config: dict[str, Any] = {"configurable": {"thread_id": "t"}}
    with WTBSaver(workspace) as saver:
        assert saver.data_dir == workspace / ".wtb"
        _sync_graph(workspace).compile(checkpointer=saver).invoke({"topic": "x"}, config)
    with WTBTestBench.create(workspace=workspace) as bench:
        [execution] = bench.list_executions()
        assert (execution.thread_id, execution.project) == ("t", "external")
        assert bench.get_execution(execution.id).state["written"] == ["out/draft.txt", "out/review.txt"]


def test_threads_of_an_app_in_parallel_each_become_an_execution(workspace: Path, tmp_path: Path) -> None:
    """LangGraph's default durability stores checkpoints from a background thread; several
    app threads at once share the one saver."""
    data = tmp_path / "data"
    errors: list[BaseException] = []
    with WTBSaver(workspace, data) as saver:
        app = _sync_graph(workspace).compile(checkpointer=saver)

        def run(i: int) -> None:
            try:
                for round_ in range(3):
                    app.invoke({"topic": f"{i}.{round_}"}, {"configurable": {"thread_id": f"user-{i}"}})
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert not errors
        with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
            executions = {e.thread_id: e for e in bench.list_executions()}
            assert set(executions) == {f"user-{i}" for i in range(4)}
            for i in range(4):
                config = {"configurable": {"thread_id": f"user-{i}"}}
                execution = executions[f"user-{i}"]
                assert [c.id for c in bench.get_checkpoints(execution.id)] == _history_ids(app, config)
                assert bench.get_state(execution.id)["topic"] == f"{i}.2"
                assert all(c.snapshot_id for c in bench.get_checkpoints(execution.id))


def test_delete_and_copy_thread_keep_the_executions_in_step(workspace: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    source: dict[str, Any] = {"configurable": {"thread_id": "src", "wtb_project": "writer"}}
    with WTBSaver(workspace, data) as saver:
        app = _sync_graph(workspace).compile(checkpointer=saver)
        app.invoke({"topic": "copy me"}, source, durability="sync")
        saver.copy_thread("src", "dst")
        with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
            by_thread = {e.thread_id: e for e in bench.list_executions()}
            parent, child = by_thread["src"], by_thread["dst"]
            assert child.project == "writer" and child.parent_id == parent.id
            assert child.parent_checkpoint_id == parent.head_checkpoint_id == child.head_checkpoint_id
            head = child.head_checkpoint_id
            assert set(bench.get_files(child.id, head)) == {"seed.txt", "out/draft.txt", "out/review.txt"}
        # The source goes; the copy keeps its checkpoints and their files.
        saver.delete_thread("src")
        with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
            assert [e.thread_id for e in bench.list_executions()] == ["dst"]
            assert bench.get_files(child.id, head)["out/review.txt"].size == len("review:copy me")
            saver.prune(["dst"], strategy="keep_latest")
            assert [c.id for c in bench.get_checkpoints(child.id)] == [head]
            saver.prune(["dst"], strategy="delete")
            assert bench.list_executions() == []


def test_an_app_can_continue_a_wtb_run(workspace: Path, tmp_path: Path) -> None:
    """A thread of WTB's own (``wtb-<execution id>``) stays that execution's."""
    data = tmp_path / "data"
    with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
        execution = bench.run(WorkflowProject("writer", graph=_sync_graph(workspace)), {"topic": "first"})
    assert execution.thread_id == f"wtb-{execution.id}"
    config = {"configurable": {"thread_id": execution.thread_id}}
    with WTBSaver(workspace, data) as saver:
        app = _sync_graph(workspace).compile(checkpointer=saver)
        app.invoke({"topic": "again"}, config, durability="sync")
        with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
            assert [e.id for e in bench.list_executions()] == [execution.id]
            assert bench.get_state(execution.id)["topic"] == "again"
            head = bench.get_checkpoints(execution.id)[0]
            assert bench.get_execution(execution.id).head_checkpoint_id == head.id
            assert head.output_files == {"out/review.txt": bench.get_files(execution.id)["out/review.txt"].hash}


def test_close_is_idempotent(workspace: Path, tmp_path: Path) -> None:
    saver = WTBSaver(workspace, tmp_path / "data")
    saver.close()
    saver.close()
    assert saver.closed


def test_interrupts_subgraphs_and_a_shallow_copy_of_the_saver(workspace: Path, tmp_path: Path) -> None:
    """A paused thread reads ``paused`` until it is resumed; a subgraph's steps get files too;
    a shallow copy (LangGraph's ``with_allowlist``) records into the same executions."""
    data = tmp_path / "data"
    inner = StateGraph(State)
    inner.add_node("inner", lambda state: _write(workspace, "inner", state))
    inner.add_edge(START, "inner")
    inner.add_edge("inner", END)

    def ask(state: State) -> State:
        answer = interrupt("which topic?")
        return {"topic": str(answer)}

    outer = StateGraph(State)
    outer.add_node("ask", ask)
    outer.add_node("sub", inner.compile())
    outer.add_edge(START, "ask")
    outer.add_edge("ask", "sub")
    outer.add_edge("sub", END)
    config: dict[str, Any] = {"configurable": {"thread_id": "ask-1", "wtb_project": "quiz"}}
    with WTBSaver(workspace, data) as saver:
        clone = copy.copy(saver)  # what LangGraph's with_allowlist makes when strict msgpack is on
        app = outer.compile(checkpointer=clone)
        app.invoke({"topic": "?"}, config, durability="sync")
        with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
            [execution] = bench.list_executions()
            assert (execution.project, execution.status) == ("quiz", ExecutionStatus.PAUSED)
        app.invoke(Command(resume="moths"), config, durability="sync")
        with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
            execution = bench.get_execution(execution.id)
            assert execution.status is ExecutionStatus.COMPLETED
            assert execution.state["written"] == ["out/inner.txt"]
            every = saver.list({"configurable": {"thread_id": "ask-1"}})
            inner_ids = {t.checkpoint["id"] for t in every if t.config["configurable"]["checkpoint_ns"]}
            assert len(inner_ids) == 3
            inner_steps = [c for c in bench.get_checkpoints(execution.id, subgraphs=True) if c.id in inner_ids]
            assert len(inner_steps) == 3 and all(c.snapshot_id for c in inner_steps)
            after = max(inner_steps, key=lambda c: c.id)
            # (Reading an inner checkpoint's files by its id is the bench's part of subgraph support.)
            assert after.output_files == {"out/inner.txt": bench.get_files(execution.id)["out/inner.txt"].hash}


def _append(old: list[str], batches: list[list[str]]) -> list[str]:
    return [*old, *(x for batch in batches for x in batch)]


class Log(TypedDict, total=False):
    items: Annotated[list[str], DeltaChannel(_append)]


def test_prune_keep_latest_keeps_what_delta_channels_are_rebuilt_from(workspace: Path, tmp_path: Path) -> None:
    """A ``DeltaChannel`` stores its writes, not its value, between snapshots: the kept
    checkpoint still reads its whole value after the others are pruned."""
    graph = StateGraph(Log)
    for name, after in (("a", START), ("b", "a"), ("c", "b")):
        graph.add_node(name, lambda state, name=name: {"items": [name]})
        graph.add_edge(after, name)
    graph.add_edge("c", END)
    config: dict[str, Any] = {"configurable": {"thread_id": "delta"}}
    with WTBSaver(workspace, tmp_path / "data") as saver:
        app = graph.compile(checkpointer=saver)
        app.invoke({"items": ["start"]}, config)
        before = app.get_state(config).values["items"]
        assert before == ["start", "a", "b", "c"]
        total = len(_history_ids(app, config))
        saver.prune(["delta"], strategy="keep_latest")
        assert app.get_state(config).values["items"] == before
        assert 1 < len(_history_ids(app, config)) <= total
