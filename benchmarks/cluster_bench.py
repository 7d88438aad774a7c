"""Cluster rows: the same batch on a local single-node Ray and on a two-node cluster sharing nothing.

The batch: 16 variants of the sample RAG workflow (three nodes, files written at every
step, so blobs travel both ways), on a pool of 2 actors, warm (started, and each having
run the workflow once, before the timed runs, as ``keep_warm_s`` keeps them between
batches); the median of three runs. The local Ray has 2 CPUs; the
cluster is a head and a worker node of 1 CPU each (``wtb.batch.localcluster``), run with
the user's directories hidden from the nodes where mount namespaces allow, so everything
goes through Ray: the starting files once per batch, a task per variant, a bundle back.

Rows: the warm batch on each (the ratio is the cluster's overhead), a second pair with
8 MB more data in the workspace (what shipping the starting files costs), and the bytes
shipped per variant. ``python -m benchmarks.cluster_bench [--quick]`` prints them
(``--quick``: 8 variants).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

Row = tuple[str, float, float | None, str]

SAMPLE = Path(__file__).resolve().parent.parent / "sample_workspace"
RUNS = 3  # timed batches per setup; the rows show the median
QUERIES = ["How much did revenue grow?", "What is Ray?", "What does LangGraph checkpoint?", "Is SQLite a server?"]


def run(quick: bool) -> list[Row]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray

    from wtb.batch.localcluster import LocalCluster, can_hide

    if ray.is_initialized():
        return [("cluster: skipped (Ray is already initialised in this process)", float("nan"), None, "")]
    count = 8 if quick else 16
    root = Path(tempfile.mkdtemp(prefix="wtb-cluster-bench-"))
    rows: list[Row] = []
    try:
        small = _workspace(root / "ws-small", extra_mb=0)
        large = _workspace(root / "ws-large", extra_mb=8)
        local = {name: _measure(ws, count, None) for name, ws in (("small", small), ("large", large))}
        hidden = can_hide()
        with LocalCluster.start(workers=1, num_cpus=1, hide=[root] if hidden else []) as cluster:
            remote = {name: _measure(ws, count, cluster.address) for name, ws in (("small", small), ("large", large))}
        where = "nodes cannot see the workspace" if hidden else "nodes could see the workspace (no namespaces)"
        for name, label in (("small", "sample workspace"), ("large", "sample workspace + 8 MB of data")):
            lo, cl = local[name], remote[name]
            rows.append((f"cluster: {count} RAG variants, {label}, 2 nodes × 1 CPU vs local 2 CPUs",
                         cl["wall"], lo["wall"],
                         f"median of {RUNS} warm batches (cluster {_range(cl)}, local {_range(lo)}), pool of 2; "
                         f"ran on {cl['nodes']} node(s) vs {lo['nodes']}; {where}"))
        for name, label in (("small", "sample workspace"), ("large", "+ 8 MB of data")):
            cl = remote[name]
            per_variant = cl["tasks"] / count + cl["results"] / count + cl["base"] / count
            rows.append((f"cluster: bytes shipped per variant ({label})", per_variant, None,
                         f"task {cl['tasks'] / count:,.0f} B + result {cl['results'] / count:,.0f} B + starting "
                         f"files {cl['base']:,} B once per batch (÷{count}); fetched once per node"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def _range(measured: dict[str, Any]) -> str:
    return f"{min(measured['walls']):.2f}–{max(measured['walls']):.2f}s"


def _workspace(target: Path, extra_mb: int) -> Path:
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns(".wtb", "index", "out", "drafts", "__pycache__"))
    if extra_mb:
        data = target / "data"
        data.mkdir()
        for i in range(extra_mb):
            (data / f"part{i}.bin").write_bytes(os.urandom(1 << 20))
    return target


def _measure(workspace: Path, count: int, address: str | None) -> dict[str, Any]:
    """One warm batch of ``count`` variants through ``address`` (None: a local Ray with 2 CPUs)."""
    import ray

    from wtb import WTBTestBench
    from wtb.batch import RayBatchTestRunner
    from wtb.batch.cluster import alive_nodes, ensure_ray

    if address is None:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    else:
        ensure_ray(address)
    try:
        deadline = time.monotonic() + 60
        while address and len(alive_nodes()) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        variants = [{"name": f"v{i}", "initial_state": {"query": QUERIES[i % 4], "top_k": 1 + i % 3}}
                    for i in range(count)]
        with WTBTestBench.create(workspace=workspace, data_dir=workspace.parent / f"{workspace.name}-data") as bench:
            runner = RayBatchTestRunner(bench)
            runner.warm_up("rag", max_parallel=2)
            runner.run("rag", variants[:2], max_parallel=2)  # each actor imports and runs the workflow once
            walls = []
            for _ in range(RUNS):
                started = time.perf_counter()
                result = runner.run("rag", variants, max_parallel=2)
                walls.append(time.perf_counter() - started)
                assert result.status == "completed", result.table()
        shutil.rmtree(workspace.parent / f"{workspace.name}-data", ignore_errors=True)
        return {"wall": statistics.median(walls), "walls": walls, "nodes": len(result.nodes),
                "base": result.shipped.get("base", 0), "tasks": result.shipped.get("tasks", 0),
                "results": result.shipped.get("results", 0)}
    finally:
        RayBatchTestRunner.shutdown()
        ray.shutdown()


if __name__ == "__main__":
    from benchmarks.__main__ import print_table

    print_table(run("--quick" in sys.argv))
