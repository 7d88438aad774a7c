"""Rows for retention, record/replay and node environments (issues 8 and 9).

- Storage of 100 runs of the sample RAG workflow (different queries) before and after
  ``prune(keep_last=10)``.
- Resuming a fork of a 20-node workflow whose nodes each "call a model" (a 20 ms sleep) with
  their own prompt, forked at step 1 with one prompt changed: with replay only the node
  reading that prompt runs; without, all 19 after the fork point.
- A node in its own venv: the second run's overhead per node call (the venv is cached).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.core_bench import Row

REPO = Path(__file__).resolve().parent.parent

CHAIN = """
import time
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

S = TypedDict("S", {**{f"p{i}": str for i in range(20)}, **{f"out{i}": str for i in range(20)}}, total=False)

def make(i):
    def node(state):
        prompt = state[f"p{i}"]
        time.sleep(0.02)  # the model call
        return {f"out{i}": prompt.upper()}
    return node

graph = StateGraph(S)
previous = START
for i in range(20):
    graph.add_node(f"n{i}", make(i))
    graph.add_edge(previous, f"n{i}")
    previous = f"n{i}"
graph.add_edge(previous, END)
"""


def prune_rows(quick: bool) -> list[Row]:
    from wtb import WTBTestBench

    root = Path(tempfile.mkdtemp(prefix="wtb-bench-prune-"))
    try:
        ws = root / "ws"
        shutil.copytree(REPO / "sample_workspace", ws, ignore=shutil.ignore_patterns(".wtb", "index", "out"))
        runs = 30 if quick else 100
        with WTBTestBench.create(workspace=ws) as bench:
            for i in range(runs):
                bench.run("rag", {"query": f"question {i}: how much did revenue grow?", "top_k": 1 + i % 3})
            before = bench.storage_stats()
            before_total = before.bytes_stored + sum(p["checkpoint_bytes"] for p in before.per_project.values())
            start = time.perf_counter()
            bench.prune(keep_last=10)
            took = time.perf_counter() - start
            after = bench.storage_stats()
            after_total = after.bytes_stored + sum(p["checkpoint_bytes"] for p in after.per_project.values())
        return [(
            f"storage of {runs} RAG runs after prune(keep_last=10) vs before (bytes)",
            float(after_total), float(before_total),
            f"blobs {before.bytes_stored}→{after.bytes_stored} B; prune took {took * 1000:.0f} ms",
        )]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def replay_rows(quick: bool) -> list[Row]:
    from wtb import ExecutionConfig, FileTrackingConfig, WorkflowProject, WTBTestBench

    root = Path(tempfile.mkdtemp(prefix="wtb-bench-replay-"))
    try:
        ws = root / "ws"
        ws.mkdir()
        (ws / "chain.py").write_text(CHAIN)
        prompts = {f"p{i}": f"prompt {i}" for i in range(20)}
        times = {}
        for mode in ("off", "recorded"):
            with WTBTestBench.create(workspace=ws, data_dir=root / f"data-{mode}",
                                     file_tracking=FileTrackingConfig(enabled=False)) as bench:
                bench.register_project(WorkflowProject(name="chain", graph="./chain.py:graph",
                                                       execution=ExecutionConfig(replay=mode)))  # type: ignore[arg-type]
                first = bench.run("chain", prompts)
                after_first = next(c for c in bench.get_checkpoints(first.id) if c.step == 1)
                fork = bench.fork(first.id, after_first.id, state_updates={"p10": "a better prompt 10"})
                start = time.perf_counter()
                bench.resume(fork.id)
                times[mode] = time.perf_counter() - start
        return [(
            "resume a fork of a 20-node workflow (20 ms model calls) with replay vs without",
            times["recorded"], times["off"], "nodes whose read state is unchanged are not called",
        )]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(quick: bool) -> list[Row]:
    return prune_rows(quick) + replay_rows(quick)
