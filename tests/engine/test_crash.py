"""A rollback killed with SIGKILL at each stage ends, after reopening, exactly at one side (issue 4)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.engine.conftest import workspace_tree
from wtb import WTBTestBench
from wtb.errors import BusyError
from wtb.models import ExecutionStatus

ROLLBACK_SCRIPT = """
import os, signal, sys
import wtb.faults
from wtb import WTBTestBench

stage = sys.argv[4]
files = {"count": 0}

def hit(point):
    # Die like kill -9 at the stage under test (wtb.faults is WTB's one fault-injection point).
    if point == "rollback.file_written":
        files["count"] += 1
        point = f"after_files:{files['count']}"
    if point in (stage, "rollback." + stage):
        os.kill(os.getpid(), signal.SIGKILL)
    return False

wtb.faults.hit = hit
bench = WTBTestBench.create(workspace=sys.argv[1])
bench.rollback(sys.argv[2], sys.argv[3])
print("finished")
"""

HOLD_LOCK_SCRIPT = """
import sys, time
from pathlib import Path
from wtb.locks import Locks
locks = Locks(Path(sys.argv[1]))
lock = locks.workspace() if sys.argv[2] == "workspace" else locks.execution(sys.argv[2])
with lock:
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
"""


@pytest.mark.parametrize("stage", ["after_journal", "after_files:1", "after_files:2", "before_head"])
def test_rollback_killed_at_each_stage_recovers_to_the_target(files_ws: Path, stage: str) -> None:
    with WTBTestBench.create(workspace=files_ws) as bench:
        execution = bench.run("files", {"tag": "k"})
        checkpoints = bench.get_checkpoints(execution.id)
        target = next(c for c in checkpoints if c.step == 1)
        target_tree = bench.get_state(execution.id, target.id)["tree"]
    before_tree = workspace_tree(files_ws)
    child = subprocess.run(
        [sys.executable, "-c", ROLLBACK_SCRIPT, str(files_ws), execution.id, target.id, stage],
        capture_output=True, text=True, timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "finished" not in child.stdout
    crashed_tree = workspace_tree(files_ws)
    if stage.startswith("after_files"):
        assert crashed_tree not in (before_tree, target_tree)  # really half-way
    with WTBTestBench.create(workspace=files_ws) as reopened:
        assert workspace_tree(files_ws) == target_tree
        recovered = reopened.get_execution(execution.id)
        assert recovered.head_checkpoint_id == target.id
        assert recovered.status is ExecutionStatus.PAUSED
        assert reopened.services.outbox.pending() == []
        reopened.undo_rollback(execution.id)
        assert workspace_tree(files_ws) == before_tree


def test_a_rollback_waits_for_the_workspace_lock(files_ws: Path, make_bench) -> None:
    bench = make_bench(files_ws)
    execution = bench.run("files", {"tag": "w"})
    first = bench.get_checkpoints(execution.id)[-1]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_SCRIPT, str(bench.data_dir), "workspace", "1.0"],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    bench.rollback(execution.id, first.id)
    assert holder.wait(timeout=30) == 0
    assert bench.get_execution(execution.id).head_checkpoint_id == first.id


def test_a_rollback_during_a_run_of_the_execution_fails_clearly(files_ws: Path, make_bench) -> None:
    bench = make_bench(files_ws)
    execution = bench.run("files", {"tag": "r"})
    first = bench.get_checkpoints(execution.id)[-1]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_SCRIPT, str(bench.data_dir), execution.id, "20"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = workspace_tree(files_ws)
        started = time.monotonic()
        with pytest.raises(BusyError, match=f"Execution {execution.id} is busy"):
            bench.rollback(execution.id, first.id)
        assert time.monotonic() - started < 15
        assert workspace_tree(files_ws) == before
        assert bench.services.outbox.pending() == []
    finally:
        holder.kill()
        holder.wait()
    assert json.loads(json.dumps(bench.get_execution(execution.id).status.value)) == "completed"


def _crash_mid_rollback(files_ws: Path) -> tuple[str, str, dict[str, str], dict[str, str]]:
    """A rollback killed after its first file: (execution, target, files before, target files)."""
    with WTBTestBench.create(workspace=files_ws) as bench:
        execution = bench.run("files", {"tag": "u"})
        target = next(c for c in bench.get_checkpoints(execution.id) if c.step == 1)
        target_tree = bench.get_state(execution.id, target.id)["tree"]
    before = workspace_tree(files_ws)
    child = subprocess.run(
        [sys.executable, "-c", ROLLBACK_SCRIPT, str(files_ws), execution.id, target.id, "after_files:1"],
        capture_output=True, text=True, timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    return execution.id, target.id, before, target_tree


def test_an_open_without_recovery_leaves_a_half_done_rollback_and_names_it(files_ws: Path) -> None:
    """What an untrusted workspace's daemon does: it never writes the workspace's files."""
    execution_id, target_id, before, target_tree = _crash_mid_rollback(files_ws)
    crashed = workspace_tree(files_ws)
    assert crashed not in (before, target_tree)
    with WTBTestBench.create(workspace=files_ws, trusted=False) as untrusted:
        assert untrusted.pending_rollbacks() == [execution_id]
        assert untrusted.get_checkpoints(execution_id)  # browsing works
    assert workspace_tree(files_ws) == crashed  # nothing written
    with WTBTestBench.create(workspace=files_ws) as trusted:
        assert trusted.pending_rollbacks() == []
        assert trusted.get_execution(execution_id).head_checkpoint_id == target_id
    assert workspace_tree(files_ws) == target_tree
