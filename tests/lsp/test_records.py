"""Records look the same on the wire whether they come from the bench (dataclasses) or a worker (JSON)."""

from __future__ import annotations

from wtb.lsp import protocol as p
from wtb.lsp import records
from wtb.models import (
    Checkpoint,
    DiffResult,
    Execution,
    ExecutionError,
    ExecutionStatus,
    FileDiff,
    FileEntry,
    RollbackResult,
    StateDiff,
    to_jsonable,
)


class Opaque:
    def __repr__(self) -> str:
        return "Opaque()"


EXECUTION = Execution(
    id="e1",
    project="rag",
    status=ExecutionStatus.FAILED,
    thread_id="wtb-e1",
    created_at=1.5,
    state={"big": "not on the wire"},
    error=ExecutionError(node="boom", type="ValueError", message="bad", traceback="tb"),
    parent_id="e0",
    parent_checkpoint_id="c0",
    head_checkpoint_id="c9",
    finished_at=2.5,
    config={"configurable": {"model": Opaque()}},
    next_nodes=["n"],
)
CHECKPOINT = Checkpoint(
    id="c1",
    execution_id="e1",
    step=2,
    source="loop",
    writes={"node": {"value": Opaque(), "raw": b"bytes"}},
    next=["after"],
    parent_id="c0",
    created_at="2026-01-01T00:00:00+00:00",
    snapshot_id="s1",
    output_files={"out/a.md": "h1", "gone.txt": None},
    cached=["square"],
    errors={"fragile": "ValueError: bad"},
    retries={"flaky": ["ConnectionError: first", "ConnectionError: second"]},
)


def test_execution_from_a_dataclass_and_from_json_are_equal() -> None:
    direct = records.execution(EXECUTION)
    assert direct == records.execution(to_jsonable(EXECUTION))
    wire = p.to_wire(direct)
    assert wire["workflow"] == "rag" and wire["status"] == "failed"
    assert wire["error"] == {"node": "boom", "type": "ValueError", "message": "bad", "traceback": "tb"}
    assert wire["config"] == {"configurable": {"model": "Opaque()"}}
    assert "state" not in wire


def test_checkpoint_from_a_dataclass_and_from_json_are_equal() -> None:
    direct = records.checkpoint(CHECKPOINT)
    assert direct == records.checkpoint(to_jsonable(CHECKPOINT))
    wire = p.to_wire(direct)
    assert wire["writes"] == {"node": {"value": "Opaque()", "raw": "bytes"}}
    assert wire["outputFiles"] == {"out/a.md": "h1", "gone.txt": None}
    assert wire["parentId"] == "c0" and wire["snapshotId"] == "s1"
    assert wire["cached"] == ["square"] and wire["replayed"] == []
    assert wire["errors"] == {"fragile": "ValueError: bad"}
    assert wire["retries"] == {"flaky": ["ConnectionError: first", "ConnectionError: second"]}


def test_other_records() -> None:
    entry = FileEntry(path="a/b.txt", kind="symlink", hash=None, size=3, mode=0o777, target="../x")
    assert p.to_wire(records.file_entry(entry)) == {
        "path": "a/b.txt",
        "kind": "symlink",
        "hash": None,
        "size": 3,
        "mode": 0o777,
        "target": "../x",
    }
    rollback = RollbackResult("e1", "c1", "c9", ["a"], ["b"], "s0")
    assert records.rollback_result(rollback) == records.rollback_result(to_jsonable(rollback))
    diff = DiffResult(
        state=StateDiff(added={"k": 1}, changed={"n": [1, 2]}),
        files=FileDiff(modified={"f": ["h1", "h2"]}),
    )
    wire = p.to_wire(records.diff_result(diff))
    assert wire["state"] == {"added": {"k": 1}, "removed": {}, "changed": {"n": [1, 2]}}
    assert wire["files"] == {"added": {}, "removed": {}, "modified": {"f": ["h1", "h2"]}}
    assert records.diff_result(diff) == records.diff_result(to_jsonable(diff))


def test_state_values_read_as_their_users_write_them() -> None:
    """What the editor shows of a state: ISO dates, text of decimals and UUIDs, a message's
    fields, bytes as text only when they are text (a lossy decode would hide the content)."""
    import datetime
    import decimal
    import uuid

    from langchain_core.messages import AIMessage

    message = to_jsonable(AIMessage("hi", id="ai-1"))
    assert (message["type"], message["content"], message["id"]) == ("ai", "hi", "ai-1")
    assert to_jsonable(
        {
            "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
            "day": datetime.date(2026, 1, 2),
            "price": decimal.Decimal("1.10"),
            "id": uuid.UUID(int=5),
            "text": "é".encode(),
            "binary": b"\x00\xff",
            "pair": (1, 2),
            "other": Opaque(),
        }
    ) == {
        "when": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "price": "1.10",
        "id": "00000000-0000-0000-0000-000000000005",
        "text": "é",
        "binary": "b'\\x00\\xff'",
        "pair": [1, 2],
        "other": "Opaque()",
    }
