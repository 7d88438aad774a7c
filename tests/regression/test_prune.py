"""Retention: prune keeps what it promises, frees blobs, never touches golden runs (issue 9)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import RAG_INPUT


def _threads(bench) -> set[str]:
    with sqlite3.connect(bench.data_dir / "wtb_checkpoints.db") as conn:
        return {row[0] for row in conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}


def test_prune_keep_last_deletes_threads_links_and_blobs(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    runs = [bench.run("rag", {"query": f"question number {i} about revenue", "top_k": 2}) for i in range(5)]
    golden = runs[0]
    bench.mark_golden(golden.id)
    fork = bench.fork(runs[1].id, bench.get_checkpoints(runs[1].id)[1].id)
    before = bench.storage_stats()
    report = bench.prune(keep_last=2)
    kept = {e.id for e in bench.list_executions()}
    assert kept == {fork.id, runs[4].id, golden.id}  # newest 2 of "rag" (the fork counts) + the golden
    assert set(report.deleted) == {runs[1].id, runs[2].id, runs[3].id}
    assert _threads(bench) == {f"wtb-{i}" for i in kept}
    after = bench.storage_stats()
    assert report.blobs_removed > 0 and after.bytes_stored < before.bytes_stored
    assert bench.read_file(golden.id, None, "out/answer.md").startswith(b"# question number 0")
    assert after.per_project["rag"]["executions"] == 3
    assert bench.check("rag").passed


def test_prune_older_than_and_max_storage(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    for i in range(3):
        bench.run("rag", {"query": f"q{i}", "top_k": 1})
    assert bench.prune(older_than=3600).deleted == []
    report = bench.prune(max_storage=1)
    assert len(report.deleted) == 3 and bench.list_executions() == []
    assert bench.storage_stats().bytes_stored <= 50_000  # only the workspace's own snapshot blobs may stay
    assert RAG_INPUT
