"""The daemon's rollback result names the files the rollback left alone (over the size limit)."""

from __future__ import annotations

from wtb.lsp import protocol as p
from wtb.lsp import records
from wtb.models import RollbackResult, SkippedFile, to_jsonable


def test_a_rollback_result_carries_its_skipped_files_on_the_wire() -> None:
    reason = "over the size limit in the snapshot (62914560 bytes), never stored: left as it is now"
    result = RollbackResult("e1", "c1", "c9", ["a"], [], "s0", skipped=[SkippedFile("big.bin", reason)])
    wire = records.rollback_result(result)
    assert wire == records.rollback_result(to_jsonable(result))  # from the bench or from a worker's JSON
    assert wire.skipped == [p.SkippedFileInfo(path="big.bin", reason=reason)]
    assert p.to_wire(wire)["skipped"] == [{"path": "big.bin", "reason": reason}]
    assert p.to_wire(records.rollback_result(RollbackResult("e1", "c1", None, [], [], None)))["skipped"] == []


BIG_FLOW = """
from pathlib import Path
from typing import TypedDict
from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    done: bool


def write_big(state: State) -> dict:
    Path("big.bin").write_bytes(b"x" * 4096)
    return {"done": True}


builder = StateGraph(State)
builder.add_node("write_big", write_big)
builder.add_edge(START, "write_big")
builder.add_edge("write_big", END)
graph = builder.compile()
"""


async def test_the_rollback_plan_the_editor_confirms_names_skipped_files(start_daemon, make_workspace) -> None:  # type: ignore[no-untyped-def]
    """What the editor's confirm dialog lists (``wtb/planRollback``), before anything is written."""
    ws = make_workspace({"big_flow.py": BIG_FLOW}, {"big": "./big_flow.py:graph"})
    daemon = await start_daemon(ws, fileTracking={"maxFileSize": "1KB"})
    started = await daemon.request("wtb/run", {"workflow": "big"})
    final = await daemon.wait_final(started["execution"]["id"])
    assert final["status"] == "completed", final["error"]
    checkpoints = (await daemon.request("wtb/listCheckpoints", {"executionId": final["id"]}))["checkpoints"]
    before = next(c for c in checkpoints if c["step"] == -1)
    plan = await daemon.request("wtb/planRollback", {"executionId": final["id"], "checkpointId": before["id"]})
    assert [s["path"] for s in plan["skipped"]] == ["big.bin"]
    assert "size limit" in plan["skipped"][0]["reason"]
    assert "big.bin" not in plan["deletes"]
