"""A run whose process died is found on the next open; `wtb cancel` ends a run from outside.

Real processes (``python -m wtb run`` killed with SIGKILL, ``os._exit``, a segfault), real
SQLite, real ``flock`` locks: a ``running`` execution whose lock is free has no live process.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wtb import FileTrackingConfig, WTBTestBench
from wtb.errors import InvalidStateError
from wtb.models import Execution, ExecutionStatus

SLOW = '''
import os, signal, time
from pathlib import Path
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    n: int
    mode: str
    limit: int

def step(state):
    n = state.get("n", 0) + 1
    Path("out.txt").write_text(str(n))
    if n == 3 and state.get("mode") == "exit":
        os._exit(1)
    if n == 3 and state.get("mode") == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if state.get("mode") == "quick":  # steps too quick for each to link its files alone
        if n == 6:
            os._exit(1)
        return {"n": n}
    if state.get("mode") == "block":  # quick steps, then one that waits for a file "go"
        if n == 5:
            Path("progress").write_text("5")
            while not Path("go").exists():
                time.sleep(0.02)
        return {"n": n}
    time.sleep(0.1)
    Path("progress").write_text(str(n))
    return {"n": n}

def more(state):
    return "step" if state["n"] < state.get("limit", 400) else END

graph = StateGraph(S)
graph.add_node("step", step)
graph.add_edge(START, "step")
graph.add_conditional_edges("step", more)
'''

HOLD_BATCH_LOCK = """
import sys, time
from pathlib import Path
from wtb.locks import Locks
with Locks(Path(sys.argv[1])).batch(sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()
"""

NO_TRACKING = FileTrackingConfig(enabled=False)


@pytest.fixture
def slow_ws(make_workspace: Callable[..., Path]) -> Path:
    return make_workspace({"slow.py": SLOW}, {"slow": "./slow.py:graph"}, name="slow_ws")


def start_cli_run(ws: Path, state: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wtb", "run", "slow", "--input", json.dumps(state), "--workspace", str(ws), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wtb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wtb", *args], capture_output=True, text=True, timeout=120)


def progress(ws: Path) -> int:
    try:
        return int((ws / "progress").read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def wait_for_step(ws: Path, process: subprocess.Popen[str], n: int) -> None:
    deadline = time.monotonic() + 60
    while progress(ws) < n:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)


def only_execution(bench: WTBTestBench, project: str = "slow") -> Execution:
    [execution] = [e for e in bench.list_executions() if e.status is not ExecutionStatus.PENDING]
    assert execution.project == project
    return execution


@pytest.mark.parametrize("death", ["sigkill", "os._exit", "segfault"])
def test_a_run_whose_process_died_is_failed_on_reopen_and_can_resume_roll_back_and_fork(
    slow_ws: Path, death: str
) -> None:
    with WTBTestBench.create(workspace=slow_ws) as bench:
        never_started = bench.create_execution("slow", {"limit": 1})
    mode = {"sigkill": "sleep", "os._exit": "exit", "segfault": "segv"}[death]
    process = start_cli_run(slow_ws, {"mode": mode})
    if death == "sigkill":
        wait_for_step(slow_ws, process, 3)
        process.send_signal(signal.SIGKILL)
    rc = process.wait(timeout=60)
    assert rc == {"sigkill": -signal.SIGKILL, "os._exit": 1, "segfault": -signal.SIGSEGV}[death], process.stderr

    with WTBTestBench.create(workspace=slow_ws) as bench:
        died = only_execution(bench)
        assert died.status is ExecutionStatus.FAILED
        assert died.error is not None and died.error.type == "ProcessDied"
        assert "process died" in died.error.message and died.error.node == "step"
        assert died.finished_at is not None
        assert bench.get_execution(never_started.id).status is ExecutionStatus.PENDING  # never started: left alone
        checkpoints = bench.get_checkpoints(died.id)
        assert len(checkpoints) >= 3  # input, __start__, and at least step n=1 (more for the SIGKILL)
        assert died.head_checkpoint_id == checkpoints[0].id  # the newest checkpoint it reached
        second = next(c for c in checkpoints if bench.get_state(died.id, c.id).get("n") == 2)

        forked = bench.fork(died.id, second.id, {"mode": "sleep", "limit": 4})
        assert bench.resume(forked.id).status is ExecutionStatus.COMPLETED
        assert bench.get_state(forked.id)["n"] == 4

        resumed = bench.resume(died.id, {"mode": "sleep", "limit": 5})
        assert resumed.status is ExecutionStatus.COMPLETED and bench.get_state(died.id)["n"] == 5

        bench.rollback(died.id, second.id)
        assert bench.get_state(died.id)["n"] == 2
        assert (slow_ws / "out.txt").read_text() == "2"


def test_a_run_that_died_between_quick_steps_keeps_the_files_of_every_checkpoint_it_stored(slow_ws: Path) -> None:
    """A run links its checkpoints' files a burst at a time; a death in the middle of a burst
    loses none of them: the reaper links them from the checkpoints' own metadata."""
    process = start_cli_run(slow_ws, {"mode": "quick"})
    assert process.wait(timeout=60) == 1, process.stderr

    with WTBTestBench.create(workspace=slow_ws) as bench:
        died = only_execution(bench)
        assert died.status is ExecutionStatus.FAILED
        checkpoints = bench.get_checkpoints(died.id)
        assert [c.snapshot_id is not None for c in checkpoints] == [True] * len(checkpoints)
        by_n = {bench.get_state(died.id, c.id).get("n"): c for c in checkpoints}
        assert set(by_n) >= {1, 2, 3, 4, 5}
        assert by_n[5].output_files.keys() == {"out.txt"}  # what that step changed, counted again
        bench.rollback(died.id, by_n[2].id)
        assert (slow_ws / "out.txt").read_text() == "2"
        bench.rollback(died.id, by_n[5].id)
        assert (slow_ws / "out.txt").read_text() == "5"


def test_a_run_blocked_in_a_node_has_linked_the_files_of_the_quick_steps_before(slow_ws: Path) -> None:
    """Links held for a burst are written within a moment even when no checkpoint follows
    (a node that runs for minutes): another process sees every stored checkpoint's files."""
    process = start_cli_run(slow_ws, {"mode": "block", "limit": 6})
    try:
        wait_for_step(slow_ws, process, 5)
        deadline = time.monotonic() + 30
        while True:
            with WTBTestBench.create(workspace=slow_ws) as bench:
                running = only_execution(bench)
                assert running.status is ExecutionStatus.RUNNING
                checkpoints = bench.get_checkpoints(running.id)
                linked = [c.snapshot_id is not None for c in checkpoints]
            if len(checkpoints) >= 5 and all(linked):  # input, __start__'s, and steps 1 to 4
                break
            assert time.monotonic() < deadline, f"links still missing while the run waits: {linked}"
            time.sleep(0.1)
        (slow_ws / "go").write_text("")
        assert process.wait(timeout=60) == 0, process.stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    with WTBTestBench.create(workspace=slow_ws) as bench:
        done = only_execution(bench)
        assert done.status is ExecutionStatus.COMPLETED
        assert all(c.snapshot_id is not None for c in bench.get_checkpoints(done.id))


def test_a_live_run_in_another_process_is_left_running_and_is_failed_once_it_dies(slow_ws: Path) -> None:
    process = start_cli_run(slow_ws, {"mode": "sleep"})
    seen: list[ExecutionStatus] = []
    try:
        # Open the data dir again and again from the moment the other process starts: through
        # its pending -> running window and while it runs, it is never taken for dead.
        while progress(slow_ws) < 3:
            assert process.poll() is None, process.communicate()
            with WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as bench:
                seen += [e.status for e in bench.list_executions()]
        assert ExecutionStatus.RUNNING in seen
        assert set(seen) <= {ExecutionStatus.PENDING, ExecutionStatus.RUNNING}, seen
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    with WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as bench:
        died = only_execution(bench)
        assert died.status is ExecutionStatus.FAILED
        assert died.error is not None and died.error.type == "ProcessDied"


def test_wtb_cancel_stops_a_live_run_of_another_process_within_the_timeout(slow_ws: Path) -> None:
    process = start_cli_run(slow_ws, {"mode": "sleep"})
    try:
        wait_for_step(slow_ws, process, 2)
        with WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as bench:
            running = only_execution(bench)
        assert running.status is ExecutionStatus.RUNNING
        started = time.monotonic()
        result = wtb("cancel", running.id, "--timeout", "10", "--workspace", str(slow_ws), "--json")
        took = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["status"] == "cancelled"
        assert took < 10
        out, err = process.communicate(timeout=30)  # the run's own process ends, reporting the cancel
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert json.loads(out)["status"] == "cancelled"
    with WTBTestBench.create(workspace=slow_ws) as bench:
        cancelled = bench.get_execution(running.id)
        assert cancelled.status is ExecutionStatus.CANCELLED and cancelled.error is not None
        reached = bench.get_state(running.id)["n"]
        assert reached >= 2 and len(bench.get_checkpoints(running.id)) >= reached + 2
        assert not any((slow_ws / ".wtb" / "locks").glob("cancel-*"))  # the request is gone with the run
        resumed = bench.resume(running.id, {"limit": reached + 1})
        assert resumed.status is ExecutionStatus.COMPLETED and bench.get_state(running.id)["n"] == reached + 1


def test_wtb_cancel_of_a_finished_pending_or_unknown_execution_is_a_one_line_error(slow_ws: Path) -> None:
    with WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as bench:
        done = bench.run("slow", {"limit": 1})
        pending = bench.create_execution("slow")
    ws = ("--workspace", str(slow_ws))
    for args, message in [
        (("cancel", done.id, *ws), f"Execution {done.id} is already completed"),
        (("cancel", pending.id, *ws), "is pending, not running"),
        (("cancel", "feedbeef", *ws), "No execution 'feedbeef'"),
        (("cancel", done.id, "--timeout", "-1", *ws), "timeout must be zero or more"),
    ]:
        result = wtb(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and message in result.stderr, (args, result.stderr)


def test_sdk_cancel_stops_a_run_in_another_thread_of_this_process(slow_ws: Path) -> None:
    """Without file tracking the run saves checkpoints in the background (durability "async")."""
    with WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as runner, \
            WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as other:
        execution = runner.create_execution("slow", {"mode": "sleep"})
        ended: list[Execution] = []
        thread = threading.Thread(target=lambda: ended.append(runner.run_execution(execution.id)))
        thread.start()
        try:
            deadline = time.monotonic() + 60
            while progress(slow_ws) < 2:
                assert time.monotonic() < deadline and thread.is_alive()
                time.sleep(0.05)
            cancelled = other.cancel(execution.id, timeout_s=10)
        finally:
            thread.join(timeout=60)
        assert cancelled.status is ExecutionStatus.CANCELLED
        assert ended[0].status is ExecutionStatus.CANCELLED
        reached = other.get_state(execution.id)["n"]
        assert reached >= 2 and other.get_checkpoints(execution.id)[0].id == cancelled.head_checkpoint_id
        with pytest.raises(InvalidStateError, match="already cancelled"):
            other.cancel(execution.id)


def test_cancel_of_a_run_that_died_after_this_bench_opened_ends_it_at_once(slow_ws: Path) -> None:
    with WTBTestBench.create(workspace=slow_ws) as bench:
        process = start_cli_run(slow_ws, {"mode": "sleep"})
        try:
            wait_for_step(slow_ws, process, 2)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
        died = only_execution(bench)
        assert died.status is ExecutionStatus.RUNNING  # this bench opened before it died
        started = time.monotonic()
        cancelled = bench.cancel(died.id, timeout_s=30)
        assert time.monotonic() - started < 5  # no live process to wait for
        assert cancelled.status is ExecutionStatus.CANCELLED
        assert cancelled.error is not None and "process had already died" in cancelled.error.message
        assert cancelled.head_checkpoint_id == bench.get_checkpoints(died.id)[0].id


def test_a_batch_variant_is_alive_while_its_driver_holds_the_batch_lock(slow_ws: Path) -> None:
    """A batch driver marks its variants running while they run elsewhere (Ray actors)."""
    data_dir = slow_ws / ".wtb"
    with WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as bench:
        variant = bench.services.executions.create(
            "slow", initial_state=None, config={}, status=ExecutionStatus.RUNNING, batch_id="b1"
        )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_BATCH_LOCK, str(data_dir), "b1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as bench:
            assert bench.get_execution(variant.id).status is ExecutionStatus.RUNNING
            with pytest.raises(InvalidStateError, match="wtb batch-cancel b1"):
                bench.cancel(variant.id)
    finally:
        holder.kill()  # the driver dies
        holder.wait(timeout=60)
    with WTBTestBench.create(workspace=slow_ws, file_tracking=NO_TRACKING) as bench:
        died = bench.get_execution(variant.id)
        assert died.status is ExecutionStatus.FAILED
        assert died.error is not None and died.error.type == "ProcessDied"
