"""Batch rows: variants on the Ray actor pool vs the same variants run one after another.

Both sides run the same workflow through WTB with file tracking on (checkpoints and file
snapshots at every step); the baseline is ``bench.run`` of each variant in turn in this
process, the way a user without batches would do it. Two workloads:

- I/O-bound: 16 variants whose three nodes ``time.sleep`` (0.5 s; 0.25 s with ``--quick``)
  like model calls, on a pool of 8 actors (a fair share of the cores each): the goal is
  ≥ 0.8 × the ideal 8× speed-up.
- CPU-bound: 8 variants of pure-Python arithmetic (about 3 s each; 1 s with ``--quick``)
  on a pool of one actor per core: the goal is ≥ 1.7× on 2 cores.

Each batch is measured twice: "cold" starts its actors (a Python process importing
LangGraph and WTB each), "warm" reuses the actors the previous batch parked. Ray's own
start-up and the actors' start-up (``RayBatchTestRunner.warm_up``) are rows of their own.

``python -m benchmarks.batch_bench [--quick]`` prints the rows.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

Row = tuple[str, float, float | None, str]

WORKFLOWS = '''
import time
from pathlib import Path
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    label: str
    seconds: float
    loops: int
    total: int


def call_model(name):
    def node(state):
        time.sleep(state["seconds"])  # stands for a model or API call
        return {"label": state["label"] + "." + name}
    return node


def write(state):
    Path("out").mkdir(exist_ok=True)
    Path("out/result.txt").write_text(state["label"] + "\\n")
    return {}


def crunch(state):
    total = 0
    for i in range(state["loops"]):
        total = (total + i * i) % 1_000_003
    Path("out").mkdir(exist_ok=True)
    Path("out/result.txt").write_text(f"{state['label']} {total}\\n")
    return {"total": total}


def io_graph():
    graph = StateGraph(S)
    for name in ("plan", "draft", "review"):
        graph.add_node(name, call_model(name))
    graph.add_node("write", write)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "draft")
    graph.add_edge("draft", "review")
    graph.add_edge("review", "write")
    graph.add_edge("write", END)
    return graph


def cpu_graph():
    graph = StateGraph(S)
    graph.add_node("crunch", crunch)
    graph.add_edge(START, "crunch")
    graph.add_edge("crunch", END)
    return graph
'''


def run(quick: bool) -> list[Row]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    from wtb import WTBTestBench
    from wtb.batch import RayBatchTestRunner
    from wtb.batch.cluster import ensure_ray

    root = Path(tempfile.mkdtemp(prefix="wtb-batch-bench-"))
    started_here = not ray.is_initialized()
    rows: list[Row] = []
    try:
        workspace = root / "ws"
        workspace.mkdir()
        (workspace / "flows.py").write_text(textwrap.dedent(WORKFLOWS), encoding="utf-8")
        (workspace / "langgraph.json").write_text(
            '{"graphs": {"io": "./flows.py:io_graph", "cpu": "./flows.py:cpu_graph"}}', encoding="utf-8"
        )
        info = ensure_ray()
        cores = int(info.cpus)
        rows.append((f"batch: Ray start-up (local, {cores} CPUs)", info.startup_s, None,
                     "ray.init, not counted in the rows below" if info.started_here else "Ray was already up"))
        with WTBTestBench.create(workspace=workspace, data_dir=root / "data") as bench:
            runner = RayBatchTestRunner(bench)
            seconds = 0.25 if quick else 0.5
            io_variants = [{"name": f"io{i}", "initial_state": {"label": f"io{i}", "seconds": seconds}}
                           for i in range(16)]
            rows += _compare(bench, runner, "io", io_variants, pool=8, goal=0.8 * 8,
                             what=f"16 I/O-bound variants (3 × sleep {seconds:.2f}s), pool 8")
            loops = _calibrate(1.0 if quick else 3.0)
            cpu_variants = [{"name": f"cpu{i}", "initial_state": {"label": f"cpu{i}", "loops": loops}}
                            for i in range(8)]
            rows += _compare(bench, runner, "cpu", cpu_variants, pool=cores, goal=1.7,
                             what=f"8 CPU-bound variants, pool {cores} ({cores} cores)")
            RayBatchTestRunner.shutdown()  # the parked actors hold the CPUs the control's tasks need
            rows.append(_control(loops, 8))
            RayBatchTestRunner.shutdown()
    finally:
        if started_here:
            RayBatchTestRunner.shutdown()
            ray.shutdown()
        shutil.rmtree(root, ignore_errors=True)
    return rows


def _compare(bench: Any, runner: Any, project: str, variants: list[dict[str, Any]], pool: int, goal: float,
             what: str) -> list[Row]:
    """Sequential baseline, then a cold and a warm batch of the same variants."""
    from wtb.batch import RayBatchTestRunner

    started = time.perf_counter()
    for variant in variants:
        execution = bench.run(project, variant["initial_state"])
        assert execution.status.value == "completed", execution.error
    sequential = time.perf_counter() - started
    RayBatchTestRunner.shutdown()
    startup = runner.warm_up(project, max_parallel=pool)
    rows: list[Row] = [(f"batch: start {pool} actors for {project} variants", startup, None,
                        "a Python process each, importing LangGraph and WTB; not in the warm row")]
    for kind in ("cold", "warm"):
        if kind == "cold":
            RayBatchTestRunner.shutdown()
        started = time.perf_counter()
        result = runner.run(project, variants, max_parallel=pool)
        wall = time.perf_counter() - started
        assert result.status == "completed", result.table()
        speedup = sequential / wall
        verdict = "meets" if speedup >= goal else "MISSES"
        rows.append((f"batch: {what}, {kind} actors", wall, sequential,
                     f"speed-up {speedup:.2f}× (goal ≥{goal:.1f}×: {verdict}); baseline = one after another"))
    return rows


def _control(loops: int, count: int) -> Row:
    """The same arithmetic as plain Ray tasks vs a plain loop: the speed-up this machine allows right now.

    On a shared machine other processes take cores too; with L of them running, two
    processes can get at most 2·(L+1)/(L+2) × what one gets, whatever runs them.
    """
    import ray

    def crunch(n: int) -> int:
        total = 0
        for i in range(n):
            total = (total + i * i) % 1_000_003
        return total

    started = time.perf_counter()
    for _ in range(count):
        crunch(loops)
    sequential = time.perf_counter() - started
    task = ray.remote(num_cpus=1)(crunch)
    ray.get(task.remote(1))  # a worker process for the tasks, as the batch's actors are warm
    started = time.perf_counter()
    ray.get([task.remote(loops) for _ in range(count)])
    parallel = time.perf_counter() - started
    load = os.getloadavg()[0]
    return (f"batch: control: {count} plain Ray tasks of the same arithmetic", parallel, sequential,
            f"speed-up {sequential / parallel:.2f}× with no WTB at all (load average {load:.1f})")


def _calibrate(target_s: float) -> int:
    """Loop count of ``crunch`` that takes about ``target_s`` here."""
    loops = 200_000
    while True:
        started = time.perf_counter()
        total = 0
        for i in range(loops):
            total = (total + i * i) % 1_000_003
        took = time.perf_counter() - started
        if took > 0.1:
            return int(loops * target_s / took)
        loops *= 4


if __name__ == "__main__":
    from benchmarks.__main__ import print_table

    print_table(run("--quick" in sys.argv))
