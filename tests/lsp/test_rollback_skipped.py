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
