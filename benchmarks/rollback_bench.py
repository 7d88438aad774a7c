"""Rollback and fork rows (issue 4).

- A full ``bench.rollback`` restoring 10 changed files in a 10,000-file workspace vs
  ``git reset --hard`` in a shadow repository (how editor agents restore files); both
  timed after ``os.sync()`` (see ``filetrack_bench``).
- ``bench.fork`` of an execution with 10 and with 10,000 checkpoints vs LangGraph's own
  ``update_state`` (its way of branching): fork must not grow with history.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

from benchmarks.core_bench import Row
from benchmarks.filetrack_bench import _timed

LOOP_WORKFLOW = """
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    n: int
    limit: int

def tick(state):
    return {"n": state.get("n", 0) + 1}

def again(state):
    return "tick" if state["n"] < state["limit"] else END

graph = StateGraph(S)
graph.add_node("tick", tick)
graph.add_edge(START, "tick")
graph.add_conditional_edges("tick", again, ["tick", END])
"""


def _workspace(root: Path, files: int) -> Path:
    ws = root / "ws"
    for i in range(files):
        folder = ws / f"d{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.txt").write_bytes((f"file {i} " * 200)[:2048].encode())
    (ws / "loop.py").write_text(LOOP_WORKFLOW)
    (ws / "langgraph.json").write_text('{"graphs": {"loop": "./loop.py:graph"}}')
    return ws


def _git(ws: Path, git_dir: Path, *args: str) -> None:
    subprocess.run(
        ["git", f"--git-dir={git_dir}", f"--work-tree={ws}", *args], check=True, capture_output=True
    )


def rollback_rows(quick: bool) -> list[Row]:
    from wtb import WTBTestBench

    root = Path(tempfile.mkdtemp(prefix="wtb-bench-rb-"))
    try:
        ws = _workspace(root, 10_000)
        git_dir = root / "shadow.git"
        _git(ws, git_dir, "init", "-q")
        for key, value in (("user.name", "b"), ("user.email", "b@b"), ("gc.auto", "0")):
            _git(ws, git_dir, "config", key, value)
        _git(ws, git_dir, "add", "-A")
        _git(ws, git_dir, "commit", "-qm", "base")
        changed = [ws / f"d{i:03d}" / f"f{i * 100:05d}.txt" for i in range(10)]
        wtb_times, reset_times, saving_times = [], [], []
        with WTBTestBench.create(workspace=ws, data_dir=root / "data") as bench:
            execution = bench.run("loop", {"n": 0, "limit": 1})
            target = bench.get_checkpoints(execution.id)[0].id
            for _ in range(3 if quick else 7):
                _change(changed)
                wtb_times.append(_timed(lambda: bench.rollback(execution.id, target)))
                _change(changed)
                reset_times.append(_timed(lambda: _git(ws, git_dir, "reset", "-q", "--hard")))
                _change(changed)
                saving_times.append(_timed(lambda: _save_then_reset(ws, git_dir)))
        wtb = statistics.median(wtb_times)
        return [
            ("rollback restoring 10 files, 10k-file workspace vs git reset --hard", wtb,
             statistics.median(reset_times), "goal ≥10× faster (ratio ≤0.1); wtb also saves the undo point"),
            ("same rollback vs git commit of the current files + reset --hard", wtb,
             statistics.median(saving_times), "the git way to keep an undo point, as wtb does"),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _change(paths: list[Path]) -> None:
    for path in paths:
        path.write_bytes(b"changed")


def _save_then_reset(ws: Path, git_dir: Path) -> None:
    """Commit the workspace as it is (the undo point), then go back to the commit before it."""
    _git(ws, git_dir, "add", "-A")
    _git(ws, git_dir, "commit", "-qm", "undo point")
    _git(ws, git_dir, "reset", "-q", "--hard", "HEAD~1")


class _S(TypedDict, total=False):
    n: int
    limit: int


def fork_rows(quick: bool) -> list[Row]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from wtb import FileTrackingConfig, WTBTestBench

    rows: list[Row] = []
    root = Path(tempfile.mkdtemp(prefix="wtb-bench-fork-"))
    try:
        ws = root / "ws"
        ws.mkdir()
        (ws / "loop.py").write_text(LOOP_WORKFLOW)
        (ws / "langgraph.json").write_text('{"graphs": {"loop": "./loop.py:graph"}}')
        sizes = (10, 2_000) if quick else (10, 10_000)
        with WTBTestBench.create(
            workspace=ws, data_dir=root / "data", file_tracking=FileTrackingConfig(enabled=False)
        ) as bench:
            graph = bench._load_graph(bench.get_project("loop"))
            conn = sqlite3.connect(str(root / "plain.db"), check_same_thread=False)
            compiled = graph.compile(checkpointer=SqliteSaver(conn))
            for size in sizes:
                execution = bench.run("loop", {"n": 0, "limit": size}, config={"recursion_limit": size + 10})
                middle = bench.get_checkpoints(execution.id, limit=size // 2 + 1)[-1].id
                fork_time = _median(lambda e=execution.id, m=middle: bench.fork(e, m), 9)
                config: dict[str, Any] = {"configurable": {"thread_id": f"plain{size}"}, "recursion_limit": size + 10}
                compiled.invoke({"n": 0, "limit": size}, config)
                old = list(compiled.get_state_history(config, limit=size // 2 + 1))[-1].config
                update_time = _median(lambda o=old: compiled.update_state(o, {"n": 0}), 9)
                rows.append((
                    f"fork with {size} checkpoints in the parent vs LangGraph update_state",
                    fork_time, update_time, "goal ≤2×, equal across sizes",
                ))
            conn.close()
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _median(action: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool) -> list[Row]:
    return rollback_rows(quick) + fork_rows(quick)
