"""Rollbacks killed with SIGKILL at random moments, then the data dir reopened: the workspace is
exactly the rollback's target or exactly what it was before (never a mix), the head agrees with
it, no temporary file is left in the workspace, and ``undo_rollback`` works after every trial
(after a rollback that first runs again when the kill came before it began).

The normal suite runs :func:`run_trials` with a few dozen trials (``tests/engine/test_rollback_kill.py``);
for a stress run, more trials and any seed::

    .venv/bin/python -m tests.engine.rollback_kill --trials 200 [--seed N]

Each trial forks a child (the test process has LangGraph imported already, so a child starts in
milliseconds) that opens the data dir and rolls back. The parent kills it either after a random
delay (any moment: the undo snapshot, the journal, a half-written file, the head's transaction)
or through :mod:`wtb.faults` at a random step (after the journal, after the k-th file, before
the head moves); a kill that lands after the rollback finished is a valid trial too.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from wtb import WTBTestBench, faults
from wtb.filetrack.ignore import TMP_PREFIX

FILES = 30
KILL_WORKFLOW = f'''
from pathlib import Path
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    step: int

def write(state):
    for i in range({FILES}):
        path = Path(f"d{{i % 3}}/f{{i:02}}.txt")
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"first {{i}} " * (i + 1))
    return {{"step": 1}}

def change(state):  # 10 of the 30 paths differ: 6 rewritten, 2 deleted, 2 created
    for i in range(6):
        Path(f"d{{i % 3}}/f{{i:02}}.txt").write_text(f"second {{i}}")
    for i in (6, 7):
        Path(f"d{{i % 3}}/f{{i:02}}.txt").unlink()
    Path("d0/new0.txt").write_text("new 0")
    Path("d1/new1.txt").write_text("new 1")
    return {{"step": 2}}

graph = StateGraph(S)
graph.add_node("write", write)
graph.add_node("change", change)
graph.add_edge(START, "write")
graph.add_edge("write", "change")
graph.add_edge("change", END)
'''


def tree(root: Path) -> dict[str, bytes]:
    """Every file of the workspace but the data dir and caches (temporary files included)."""
    seen: dict[str, bytes] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".wtb", "__pycache__"))
        for name in files:
            path = Path(folder) / name
            seen[str(path.relative_to(root))] = path.read_bytes()
    return seen


def stray(root: Path) -> list[str]:
    """Temporary names a restore uses, left in the workspace."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".wtb"]
        found += [os.path.join(folder, n) for n in dirs + files if n.startswith(TMP_PREFIX)]
    return found


@dataclass
class Report:
    trials: int = 0
    at_target: int = 0
    at_before: int = 0
    mixed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.trials} trials: {self.at_target} at the target, {self.at_before} as before, "
                f"{len(self.mixed)} mixed, {len(self.problems)} other problems")


@dataclass
class Setup:
    workspace: Path
    execution_id: str
    trees: dict[str, dict[str, bytes]]  # checkpoint id -> the workspace's files there
    rollback_s: float


def prepare(workspace: Path) -> Setup:
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "kill_flow.py").write_text(KILL_WORKFLOW)
    (workspace / "langgraph.json").write_text(json.dumps({"graphs": {"kill": "./kill_flow.py:graph"}}))
    with WTBTestBench.create(workspace=workspace) as bench:
        execution = bench.run("kill", {})
        by_step = {c.step: c.id for c in bench.get_checkpoints(execution.id)}
        trees = {by_step[2]: tree(workspace)}
        started = time.monotonic()
        bench.rollback(execution.id, by_step[1])  # so that every trial has a rollback to undo
        elapsed = time.monotonic() - started
        trees[by_step[1]] = tree(workspace)
    return Setup(workspace, execution.id, trees, elapsed)


def _child(setup: Setup, target: str, stage: int | None, ready: int) -> None:
    """Roll back, dying at ``stage`` (0: after the journal, k: after the k-th file, -1: before the head)."""
    try:
        written = {"count": 0}

        def hit(point: str) -> bool:
            if point == "rollback.file_written":
                written["count"] += 1
                if written["count"] == stage:
                    os.kill(os.getpid(), signal.SIGKILL)
            elif (point, stage) in (("rollback.after_journal", 0), ("rollback.before_head", -1)):
                os.kill(os.getpid(), signal.SIGKILL)
            return False

        if stage is not None:
            faults.hit = hit
        bench = WTBTestBench.create(workspace=setup.workspace)
        os.write(ready, b"r")
        bench.rollback(setup.execution_id, target)
        bench.close()
    finally:
        os._exit(0)


def trial(setup: Setup, rng: random.Random, report: Report) -> None:
    with WTBTestBench.create(workspace=setup.workspace) as bench:
        head = bench.get_execution(setup.execution_id).head_checkpoint_id
    assert head is not None
    target = next(c for c in setup.trees if c != head)
    stage = rng.choice([None, rng.randint(-1, 11)])  # None: a random delay instead
    delay = rng.uniform(0, setup.rollback_s * 1.5)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(setup, target, stage, write_end)
    os.close(write_end)
    try:
        os.read(read_end, 1)
        if stage is None:
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
    finally:
        os.waitpid(pid, 0)
        os.close(read_end)
    report.trials += 1
    label = f"trial {report.trials} (stage {stage}, delay {delay:.4f}s)"
    with WTBTestBench.create(workspace=setup.workspace) as bench:  # recovers what the child left
        now = tree(setup.workspace)
        moved = bench.get_execution(setup.execution_id).head_checkpoint_id
        if now == setup.trees[target]:
            report.at_target += 1
        elif now == setup.trees[head]:
            report.at_before += 1
        else:
            report.mixed.append(label)
        if moved not in setup.trees or now != setup.trees[moved]:
            report.problems.append(f"{label}: the head is at {moved}, the files elsewhere")
        if stray(setup.workspace):
            report.problems.append(f"{label}: temporary files left: {stray(setup.workspace)}")
        if bench.pending_rollbacks():
            report.problems.append(f"{label}: a rollback is still pending")
        try:
            if moved != target:  # killed before it began: the data dir must take the rollback now
                bench.rollback(setup.execution_id, target)
            undone = bench.undo_rollback(setup.execution_id)
            if tree(setup.workspace) != setup.trees[head] or undone.checkpoint_id != head:
                report.problems.append(f"{label}: after undo the files are not at {head}")
            if rng.random() < 0.5:  # the next trial rolls back the other way
                bench.rollback(setup.execution_id, target)
        except Exception as exc:  # reported
            report.problems.append(f"{label}: rollback or undo failed: {type(exc).__name__}: {exc}")


def run_trials(workspace: Path, trials: int, seed: int) -> Report:
    setup = prepare(workspace)
    rng = random.Random(seed)
    report = Report()
    for _ in range(trials):
        trial(setup, rng, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.engine.rollback_kill", description=__doc__)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    args = parser.parse_args(argv)
    logging.getLogger("wtb.engine.rollback").setLevel(logging.ERROR)  # one "finished the interrupted ..." a trial
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    with tempfile.TemporaryDirectory(prefix="wtb-kill-") as folder:
        started = time.monotonic()
        report = run_trials(Path(folder) / "ws", args.trials, seed)
    print(f"seed {seed}: {report} in {time.monotonic() - started:.1f}s")
    for line in report.mixed + report.problems:
        print("  " + line)
    return 1 if report.mixed or report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
