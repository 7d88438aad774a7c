"""Channel values stored by content (issue 22): what a ``messages`` list costs, and that
every checkpoint still reads exactly as LangGraph's ``SqliteSaver`` stores it.

Each run goes through :class:`~tests.engine.state_tee.TeeSaver`, which writes the same
checkpoints to a plain ``SqliteSaver`` too, so WTB's reading is compared with LangGraph's
on the same run (same checkpoint and message ids).
"""

from __future__ import annotations

import operator
import sqlite3
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from tests.engine.state_tee import TeeSaver, assert_same_checkpoints
from wtb import WTBSaver, WTBTestBench
from wtb.batch.checkpoints import import_checkpoints, read_checkpoint, saver_for
from wtb.engine import state_values
from wtb.engine.checkpointer import TrackingSaver, open_checkpoint_db

MESSAGE = 1000  # characters of each appended message


class Chat(TypedDict, total=False):
    messages: Annotated[list[Any], add_messages]
    log: Annotated[list[Any], operator.add]
    blob: str
    n: int


def chat(steps: int) -> StateGraph:
    """Each step appends a 1 KB message and a log entry; ``blob`` (large) never changes."""

    def speak(state: Chat) -> Chat:
        n = state["n"] + 1
        return {"messages": [AIMessage(f"{n:04d}" + "x" * MESSAGE)], "log": [(n, f"step {n}" * 40)], "n": n}

    graph = StateGraph(Chat)
    graph.add_node("speak", speak)
    graph.add_edge(START, "speak")
    graph.add_conditional_edges("speak", lambda s: END if s["n"] >= steps else "speak")
    return graph


def start(steps: int = 0) -> Chat:
    return {"messages": [HumanMessage("hello", id="h0")], "log": [], "blob": "b" * 5000, "n": steps}


def config(thread: str = "t") -> Any:
    return {"configurable": {"thread_id": thread}, "recursion_limit": 10_000}


def tee(tmp_path: Path) -> TeeSaver:
    return TeeSaver(tmp_path, tmp_path / "data", tmp_path / "plain.db")


def rows(saver: TrackingSaver, table: str) -> int:
    return int(saver.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_an_appended_message_is_stored_once_and_every_checkpoint_reads_as_sqlite_saver(tmp_path: Path) -> None:
    with tee(tmp_path) as saver:
        app = chat(60).compile(checkpointer=saver)
        final = app.invoke(start(), config(), durability="sync")
        assert len(final["messages"]) == 61
        assert assert_same_checkpoints(saver, saver.plain) == 62
        # Each message and each log entry once, the unchanged blob once, the input (``__start__``) once.
        assert rows(saver, "wtb_state_values") == 61 + 60 + 1 + 1
        # A node per step for each growing list, and one per step for each list a node wrote.
        assert rows(saver, "wtb_state_lists") <= 2 * 61 + 2 * 60
        stored_writes = [w for t in SqliteSaver.list(saver, None) for w in t.pending_writes or ()]
        by_reference = [w[1] for w in stored_writes if w[1].startswith(state_values.WRITE_MARK)]
        assert by_reference.count(state_values.WRITE_MARK + "messages") == 60  # each step's message: a row above
        assert by_reference.count(state_values.WRITE_MARK + "log") == 51  # entries of 256 bytes or more
        stats = saver.state_storage()
        final_bytes = sum(len(saver.serde.dumps_typed(final[k])[1]) for k in ("messages", "log", "blob"))
        assert stats.bytes_stored < 1.2 * final_bytes  # linear: the final state, about once
        assert stats.bytes_referenced > 20 * stats.bytes_stored  # what SqliteSaver writes: O(run²)
        assert app.get_state(config()).values["messages"] == final["messages"]


def test_edits_removals_and_odd_values_read_back_exactly(tmp_path: Path) -> None:
    """Lists that shrink, are replaced or hold values the serializer types (tuples, None,
    bytes, sets, nested lists); a state key spelled like WTB's mark."""

    class Odd(TypedDict, total=False):
        messages: Annotated[list[Any], add_messages]
        items: list[Any]
        mark: dict[str, Any]

    def grow(state: Odd) -> Odd:
        return {"messages": [AIMessage("m" * 400, id=f"a{len(state['messages'])}")],
                "items": [*state.get("items", []), (1, "t" * 300), None, b"\x00" * 300, {1, 2}, [[1.5] * 50]]}

    def prune(state: Odd) -> Odd:
        return {"messages": [RemoveMessage(id="a1")], "items": state["items"][3:]}

    def replace(state: Odd) -> Odd:
        return {"messages": [AIMessage("r" * 400, id="a2")], "items": ["z" * 300]}

    graph = StateGraph(Odd)
    for name, node in (("g1", grow), ("g2", grow), ("g3", grow), ("prune", prune), ("replace", replace), ("g4", grow)):
        graph.add_node(name, node)
    graph.add_edge(START, "g1")
    for a, b in (("g1", "g2"), ("g2", "g3"), ("g3", "prune"), ("prune", "replace"), ("replace", "g4")):
        graph.add_edge(a, b)
    graph.add_edge("g4", END)
    spelled = {state_values.MARK: {"messages": b"l" + b"\x01" * 16}, "channel_values": None, "x": "y" * 300}
    with tee(tmp_path) as saver:
        app = graph.compile(checkpointer=saver)
        final = app.invoke({"messages": [HumanMessage("h", id="h")], "mark": spelled}, config(), durability="sync")
        assert final["mark"] == spelled
        assert [m.id for m in final["messages"]] == ["h", "a2", "a3"]
        assert assert_same_checkpoints(saver, saver.plain) == 8


def test_checkpoints_written_by_a_plain_sqlite_saver_still_read_and_continue(tmp_path: Path) -> None:
    """A checkpoint database from before (plain values) reads through WTB unchanged; a run
    continued there mixes plain checkpoints and checkpoints by reference."""
    path = tmp_path / "data" / "wtb_checkpoints.db"
    path.parent.mkdir()
    plain = SqliteSaver(open_checkpoint_db(path))
    chat(5).compile(checkpointer=plain).invoke(start(), config(), durability="sync")
    before = {t.checkpoint["id"]: t for t in plain.list(None)}
    plain.conn.close()
    with TeeSaver(tmp_path, tmp_path / "data", tmp_path / "plain.db") as saver:
        for found in saver.list(None):
            assert found == before[found.checkpoint["id"]]
        assert rows(saver, "wtb_state_values") == 0
        app = chat(12).compile(checkpointer=saver)
        final = app.invoke(None, config(), durability="sync")  # nothing due: run again from the head
        final = app.invoke({"n": 5}, config(), durability="sync")
        assert len(final["messages"]) == 6 + 7
        assert rows(saver, "wtb_state_values") > 0
        ours = list(saver.list(None))
        assert {c.checkpoint["id"] for c in ours} >= set(before)
        for found in ours:
            if found.checkpoint["id"] in before:
                assert found == before[found.checkpoint["id"]]
        assert app.get_state(config()).values["messages"] == final["messages"]


def test_a_new_saver_and_time_travel_append_to_the_stored_list(tmp_path: Path) -> None:
    """A saver opened later (a resume in another process) and a fork from an older checkpoint
    add one list node per step on top of the list already stored, not a copy of it."""
    with tee(tmp_path) as saver:
        chat(20).compile(checkpointer=saver).invoke(start(), config(), durability="sync")
        values_before = rows(saver, "wtb_state_values")
    with TeeSaver(tmp_path, tmp_path / "data", tmp_path / "plain.db") as saver:
        app = chat(25).compile(checkpointer=saver)
        app.invoke({"n": 20}, config(), durability="sync")
        old = next(s for s in app.get_state_history(config()) if s.values.get("n") == 10)
        app.invoke(None, old.config, durability="sync")  # time travel: a branch from step 10
        assert assert_same_checkpoints(saver, saver.plain) > 40
        stored = saver.conn.execute("SELECT coalesce(sum(length(items)), 0) FROM wtb_state_lists").fetchone()[0]
        # Every node names only the elements after its base (16 bytes each): ~2 per step, and
        # ~2 for the lists the step's node wrote.
        assert stored <= 16 * 5 * len(list(saver.list(None)))
        assert rows(saver, "wtb_state_values") > values_before


def test_collect_removes_only_values_no_checkpoint_references(tmp_path: Path) -> None:
    with tee(tmp_path) as saver:
        app = chat(10).compile(checkpointer=saver)
        app.invoke(start(), config("keep"), durability="sync")
        kept = {t.checkpoint["id"]: t.checkpoint for t in saver.list(config("keep"))}
        saver.copy_thread("keep", "copy")  # the same values, referenced by both threads
        app.invoke(start(), config("gone"), durability="sync")  # new messages (ids), the same blob
        values = rows(saver, "wtb_state_values")
        assert saver.collect_state_values().values_removed == 0
        saver.delete_thread("keep")
        assert saver.collect_state_values().values_removed == 0  # the copy still references them
        saver.delete_thread("gone")
        report = saver.collect_state_values()
        # Its ten messages (ids of their own); its log entries and blob are the copy's too.
        assert report.values_removed == 10
        assert report.lists_removed > 0
        assert report.bytes_freed > 10 * MESSAGE
        assert rows(saver, "wtb_state_values") == values - report.values_removed
        for found in saver.list(config("copy")):
            assert found.checkpoint == kept[found.checkpoint["id"]]
        saver.delete_thread("copy")
        saver.collect_state_values()
        assert rows(saver, "wtb_state_values") == rows(saver, "wtb_state_lists") == 0


def test_bench_prune_reclaims_the_state_of_deleted_executions(tmp_path: Path) -> None:
    with WTBSaver(tmp_path, tmp_path / "data") as saver:
        app = chat(8).compile(checkpointer=saver)
        for thread in ("one", "two", "three"):
            app.invoke(start(), config(thread), durability="sync")
        before = rows(saver, "wtb_state_values")
    bench = WTBTestBench.create(workspace=tmp_path, data_dir=tmp_path / "data")
    try:
        report = bench.prune(keep_last=1)
        assert len(report.deleted) == 2
        assert report.state_values_removed == 2 * 8  # their messages; the same log entries stay
        assert report.state_bytes_freed > 16 * MESSAGE
        stats = bench.services.saver.state_storage()
        assert stats.values == before - 2 * 8 and stats.checkpoints == 10
        kept = bench.list_executions()[0]
        assert len(bench.get_state(kept.id)["messages"]) == 9
    finally:
        bench.close()


def test_a_batch_carries_a_checkpoint_by_reference_as_plain_bytes(tmp_path: Path) -> None:
    """``read_checkpoint`` (a batch driver, which never decodes the state) gives a checkpoint
    that a plain ``SqliteSaver`` in another file stores and reads: the values put back."""
    with tee(tmp_path) as saver:
        chat(6).compile(checkpointer=saver).invoke(start(), config(), durability="sync")
        head = saver.get_tuple(config())
        assert head is not None and state_values.MARK not in head.checkpoint
        entry = read_checkpoint(saver.conn, "t", head.checkpoint["id"], head.checkpoint["channel_versions"])
        other = tmp_path / "other.db"
        import_checkpoints(other, [entry])
        conn = open_checkpoint_db(other)
        try:
            copied = SqliteSaver(conn).get_tuple({"configurable": {"thread_id": "t", "checkpoint_ns": ""}})
            assert copied is not None and copied.checkpoint == head.checkpoint
            raw = saver_for(saver.conn).get_tuple(config())
            assert raw is not None and raw.checkpoint.typed != tuple(entry["checkpoint"])  # it was by reference
        finally:
            conn.close()


@dataclass
class Note:
    text: str


class Notes(TypedDict, total=False):
    notes: Annotated[list[Note], operator.add]


def test_a_copy_with_another_serializer_reads_with_its_own(tmp_path: Path) -> None:
    """LangGraph compiles with ``saver.with_allowlist(...)``: a shallow copy with a serializer
    that allows more classes, sharing the value store. Values read through the copy are
    decoded by the copy's serializer, through the original by the original's."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    graph = StateGraph(Notes)
    graph.add_node("write", lambda state: {"notes": [Note("n" * 300)]})
    graph.add_edge(START, "write")
    graph.add_edge("write", END)
    conn = open_checkpoint_db(tmp_path / "checkpoints.db")
    try:
        strict = TrackingSaver(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=None))
        strict.setup()
        allowing = strict.with_allowlist([(Note.__module__, "Note")])
        assert allowing is not strict and allowing.values is strict.values
        graph.compile(checkpointer=allowing).invoke({"notes": [Note("m" * 300)]}, config(), durability="sync")
        assert rows(strict, "wtb_state_lists") > 0
        found, blocked = allowing.get_tuple(config()), strict.get_tuple(config())
        assert found is not None and blocked is not None
        assert found.checkpoint["channel_values"]["notes"] == [Note("m" * 300), Note("n" * 300)]
        assert not any(isinstance(n, Note) for n in blocked.checkpoint["channel_values"]["notes"])
    finally:
        conn.close()


def test_a_missing_value_is_a_clear_error(tmp_path: Path) -> None:
    with tee(tmp_path) as saver:
        chat(2).compile(checkpointer=saver).invoke(start(), config(), durability="sync")
        saver.conn.execute("DELETE FROM wtb_state_values")
        saver.conn.commit()
        with pytest.raises(Exception, match="does not hold"):
            saver.get_tuple(config())


@pytest.mark.parametrize("capability", sorted(c.value for c in ALL_CAPABILITIES))
async def test_conformance_with_every_value_stored_by_reference(
    tmp_path: Path, capability: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LangGraph's conformance suite stores small values; with no inline threshold every
    one of them goes through the value store."""
    monkeypatch.setattr(state_values, "INLINE_MAX", 1)
    moved: list[int] = []

    @checkpointer_test(name=f"WTBSaver-by-reference-{capability}")
    async def saver() -> AsyncGenerator[WTBSaver, None]:
        with WTBSaver(tmp_path, tmp_path / f"data-{uuid.uuid4().hex[:6]}") as fresh:
            try:
                yield fresh
            finally:
                moved.append(rows(fresh, "wtb_state_values"))

    report = await validate(saver, capabilities={capability})
    result = report.results[capability]
    assert result.detected and result.passed and result.tests_failed == 0
    if capability in ("put", "get_tuple", "copy_thread"):  # the suites whose checkpoints carry values
        assert sum(moved) > 0


def test_read_only_database_reads_values(tmp_path: Path) -> None:
    with tee(tmp_path) as saver:
        chat(3).compile(checkpointer=saver).invoke(start(), config(), durability="sync")
        expected = saver.get_tuple(config())
    conn = sqlite3.connect(f"file:{tmp_path / 'data' / 'wtb_checkpoints.db'}?mode=ro", uri=True,
                           check_same_thread=False)
    try:
        found = TrackingSaver(conn).get_tuple(config())
        assert found is not None and expected is not None and found.checkpoint == expected.checkpoint
    finally:
        conn.close()
