"""End to end: a batch through the daemon (in-process backend: no Ray start-up in this test)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RAG_INPUT
from tests.lsp.conftest import StartDaemon


async def test_batch_of_two_variants_reports_progress_and_executions(
    start_daemon: StartDaemon, sample_ws: Path
) -> None:
    daemon = await start_daemon(sample_ws)
    daemon.client.progress_reports.setdefault("batch-token", [])
    result = await daemon.request(
        "wtb/batch",
        {
            "workflow": "rag",
            "variants": [
                {"name": "top1", "initialState": {**RAG_INPUT, "top_k": 1}},
                {"name": "top3", "initialState": {**RAG_INPUT, "top_k": 3}},
            ],
            "backend": "local",
            "maxParallel": 1,
            "workDoneToken": "batch-token",
        },
    )
    assert result["status"] == "completed", result["summary"]
    assert [e["status"] for e in result["executions"]] == ["completed", "completed"]
    assert {e["batchId"] for e in result["executions"]} == {result["batchId"]}
    names = [v["name"] for v in result["summary"]["variants"]]
    assert names == ["top1", "top3"]
    progress = daemon.progress("batch-token")
    assert progress[0].kind == "begin" and progress[-1].kind == "end"
    assert any(v.kind == "report" and "top3" in (v.message or "") for v in progress)
    variant_of = {v["execution_id"]: v["name"] for v in result["summary"]["variants"]}
    for execution in result["executions"]:
        assert daemon.of("wtb/executionChanged", execution["id"])
        state = await daemon.request("wtb/getState", {"executionId": execution["id"]})
        expected = 1 if variant_of[execution["id"]] == "top1" else 3
        assert len(state["values"]["retrieved"]) == expected
