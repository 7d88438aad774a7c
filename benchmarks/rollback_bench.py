"""Rollback and fork rows (issue 4).

- ``bench.rollback`` between two checkpoints of a run whose node rewrote 10 files of a
  10,000-file workspace vs ``git reset --hard <commit>`` in a shadow repository (how
  editor agents restore files): the workspace is at a checkpoint, as it is after a run.
  Git works on its own copy of the workspace, so neither side's writes reach the
  other's watcher or index.
- The same with 10 files edited by hand since the last checkpoint: WTB must save them
  first (the undo point), git ``reset --hard`` throws them away; a third row compares
  with git saving them too (commit, then reset).
- ``bench.fork`` of an execution with 10 and with 10,000 checkpoints vs LangGraph's own
  ``update_state`` (its way of branching): fork must not grow with history.

Every timed action starts after ``os.sync()`` (see ``filetrack_bench``). A rollback's
replaced files are deleted by a background thread a moment after it returns; the
benchmark deletes them right after each timed rollback, untimed, so that the deletion
never overlaps git's turn either.
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


WRITER_WORKFLOW = """
from pathlib import Path
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    n: int

def rewrite(state):
    for i in range(10):
        Path(f"d{i:03d}/f{i * 100:05d}.txt").write_bytes(b"rewritten by the node %d" % i)
    return {"n": 1}

graph = StateGraph(S)
graph.add_node("rewrite", rewrite)
graph.add_edge(START, "rewrite")
graph.add_edge("rewrite", END)
"""
CHANGED = [f"d{i:03d}/f{i * 100:05d}.txt" for i in range(10)]


def _workspace(root: Path, files: int) -> Path:
    ws = root / "ws"
    for i in range(files):
        folder = ws / f"d{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.txt").write_bytes((f"file {i} " * 200)[:2048].encode())
    (ws / "loop.py").write_text(LOOP_WORKFLOW)
    (ws / "writer.py").write_text(WRITER_WORKFLOW)
    (ws / "langgraph.json").write_text('{"graphs": {"loop": "./loop.py:graph", "writer": "./writer.py:graph"}}')
    return ws


def _git(ws: Path, git_dir: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", f"--work-tree={ws}", *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def _shadow_repo(ws: Path, git_dir: Path) -> tuple[str, str]:
    """Commits of the workspace before and after the node's writes; leaves it at the first."""
    _git(ws, git_dir, "init", "-q")
    for key, value in (("user.name", "b"), ("user.email", "b@b"), ("gc.auto", "0")):
        _git(ws, git_dir, "config", key, value)
    _git(ws, git_dir, "add", "-A")
    _git(ws, git_dir, "commit", "-qm", "before")
    before = _git(ws, git_dir, "rev-parse", "HEAD")
    for i, rel in enumerate(CHANGED):
        (ws / rel).write_bytes(b"rewritten by the node %d" % i)
    _git(ws, git_dir, "commit", "-qam", "after")
    after = _git(ws, git_dir, "rev-parse", "HEAD")
    _git(ws, git_dir, "reset", "-q", "--hard", before)
    return before, after


def rollback_rows(quick: bool) -> list[Row]:
    from wtb import WTBTestBench

    root = Path(tempfile.mkdtemp(prefix="wtb-bench-rb-"))
    try:
        ws = _workspace(root, 10_000)
        git_ws = root / "git-ws"
        shutil.copytree(ws, git_ws)
        git_dir = root / "shadow.git"
        before, after = _shadow_repo(git_ws, git_dir)
        reps = 5 if quick else 15
        with WTBTestBench.create(workspace=ws, data_dir=root / "data") as bench:
            execution = bench.run("writer", {"n": 0})
            checkpoints = bench.get_checkpoints(execution.id)
            first, last = checkpoints[-1].id, checkpoints[0].id
            clean_wtb, clean_git = [], []
            for _ in range(reps):
                for checkpoint, commit in ((first, before), (last, after)):
                    clean_wtb.append(_timed(lambda c=checkpoint: _rollback(bench, execution.id, c)))
                    bench.services.tracker.empty_trash()  # untimed, and not left to overlap git's turn
                    clean_git.append(_timed(lambda c=commit: _git(git_ws, git_dir, "reset", "-q", "--hard", c)))
            _git(git_ws, git_dir, "reset", "-q", "--hard", before)
            edited_wtb, reset_times, saving_times = [], [], []
            for _ in range(reps):
                _change(ws)
                edited_wtb.append(_timed(lambda: _rollback(bench, execution.id, first)))
                bench.services.tracker.empty_trash()
                _change(git_ws)
                reset_times.append(_timed(lambda: _git(git_ws, git_dir, "reset", "-q", "--hard")))
                _change(git_ws)
                saving_times.append(_timed(lambda: _save_then_reset(git_ws, git_dir)))
        clean, edited = statistics.median(clean_wtb), statistics.median(edited_wtb)
        return [
            ("rollback to a checkpoint 10 files away, 10k-file workspace vs git reset --hard <commit>", clean,
             statistics.median(clean_git), "goal ≥10× faster (ratio ≤0.1); both sides start at a saved state"),
            ("rollback over 10 hand-edited files vs git reset --hard", edited,
             statistics.median(reset_times), "wtb first saves the edits (its undo point); git discards them"),
            ("same rollback vs git commit of the edits + reset --hard", edited,
             statistics.median(saving_times), "the git way to keep an undo point, as wtb does"),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _rollback(bench: Any, execution_id: str, checkpoint_id: str) -> None:
    result = bench.rollback(execution_id, checkpoint_id)
    assert len(result.files_written) == 10, result


def _change(ws: Path) -> None:
    for rel in CHANGED:
        (ws / rel).write_bytes(b"edited by hand")


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
            graph = bench.services.load_graph(bench.get_project("loop"))
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
