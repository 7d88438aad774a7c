"""A rollback that cannot be done changes nothing and leaves no journal behind; one that fails
half-way is unwound; one a dead process left is finished or, when it cannot be, unwound and
closed; rollbacks at once record the head they really replace; skipped files are reported."""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import workspace_tree
from tests.engine.test_crash import ROLLBACK_SCRIPT
from wtb import WTBTestBench, faults
from wtb.config import FileTrackingConfig
from wtb.errors import IntegrityError, InvalidStateError, RollbackError
from wtb.models import ExecutionStatus, SkippedFile


def _blob(bench: Any, execution_id: str, checkpoint_id: str, path: str) -> Path:
    digest = bench.get_files(execution_id, checkpoint_id)[path].hash
    return Path(bench.data_dir) / ".filetrack" / "blobs" / digest[:2] / digest[2:]


def _outbox(bench: Any) -> list[tuple[str, str]]:
    return [(str(r[0]), str(r[1])) for r in bench.services.db.query("SELECT kind, status FROM outbox ORDER BY id")]


def _prepared(files_ws: Path, tag: str) -> tuple[str, str, str, Path]:
    """A finished run: (execution, its head, the step-1 checkpoint, the blob of work/a.txt there)."""
    with WTBTestBench.create(workspace=files_ws) as bench:
        execution = bench.run("files", {"tag": tag})
        target = next(c for c in bench.get_checkpoints(execution.id) if c.step == 1)
        head = bench.get_execution(execution.id).head_checkpoint_id
        assert head is not None
        return execution.id, head, target.id, _blob(bench, execution.id, target.id, "work/a.txt")


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_target_blob_that_cannot_be_read_refuses_the_rollback_and_leaves_no_journal(
    files_ws: Path, damage: str
) -> None:
    execution_id, head, target_id, blob = _prepared(files_ws, "b")
    before = workspace_tree(files_ws)
    saved = blob.read_bytes()
    blob.unlink()
    if damage == "corrupt":
        blob.write_bytes(b"not what the hash says")
    with WTBTestBench.create(workspace=files_ws) as bench:
        with pytest.raises(IntegrityError, match=r"Cannot roll back .*'work/a\.txt'.*nothing was changed"):
            bench.rollback(execution_id, target_id)
        assert workspace_tree(files_ws) == before
        assert _outbox(bench) == []  # refused before the journal: nothing for a later open to replay
        assert bench.get_execution(execution_id).head_checkpoint_id == head
        with pytest.raises(InvalidStateError, match="no rollback to undo"):
            bench.undo_rollback(execution_id)
    blob.unlink(missing_ok=True)
    blob.write_bytes(saved)
    with WTBTestBench.create(workspace=files_ws) as bench:  # the repaired store: no silent rollback now
        assert bench.get_execution(execution_id).head_checkpoint_id == head
        assert workspace_tree(files_ws) == before
        bench.rollback(execution_id, target_id)  # and a rollback asked for again works
        assert bench.get_execution(execution_id).head_checkpoint_id == target_id


def test_a_rollback_that_fails_half_way_is_unwound_and_closed_as_failed(
    files_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    execution_id, head, target_id, _ = _prepared(files_ws, "h")
    before = workspace_tree(files_ws)
    written = {"count": 0}

    def disk_full_at_the_second_file(point: str) -> bool:
        if point == "rollback.file_written":
            written["count"] += 1
            if written["count"] == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return False

    with WTBTestBench.create(workspace=files_ws) as bench:
        monkeypatch.setattr(faults, "hit", disk_full_at_the_second_file)
        with pytest.raises(RollbackError, match=r"No space left.*put back as it was, and nothing changed"):
            bench.rollback(execution_id, target_id)
        monkeypatch.undo()
        assert workspace_tree(files_ws) == before
        assert _outbox(bench) == [("rollback", "failed")]
        execution = bench.get_execution(execution_id)
        assert (execution.head_checkpoint_id, execution.status) == (head, ExecutionStatus.COMPLETED)
        with pytest.raises(InvalidStateError, match="no rollback to undo"):
            bench.undo_rollback(execution_id)
    with WTBTestBench.create(workspace=files_ws) as bench:  # nothing replayed on the next open
        assert bench.get_execution(execution_id).head_checkpoint_id == head
    assert workspace_tree(files_ws) == before


def test_a_checkpoint_unknown_to_an_emptied_filetrack_db_is_refused(files_ws: Path) -> None:
    execution_id, head, target_id, _ = _prepared(files_ws, "e")
    before = workspace_tree(files_ws)
    store = files_ws / ".wtb" / ".filetrack"
    for name in ("filetrack.db-wal", "filetrack.db-shm"):
        (store / name).unlink(missing_ok=True)
    (store / "filetrack.db").write_bytes(b"")  # SQLite takes it for a new, empty database
    with WTBTestBench.create(workspace=files_ws) as bench:
        with pytest.raises(InvalidStateError, match=f"checkpoint {target_id}: filetrack.db has no file snapshot"):
            bench.rollback(execution_id, target_id)
        assert bench.get_execution(execution_id).head_checkpoint_id == head  # the state did not move
        assert _outbox(bench) == []
    assert workspace_tree(files_ws) == before


def _kill_mid_rollback(files_ws: Path, execution_id: str, target_id: str) -> None:
    child = subprocess.run(
        [sys.executable, "-c", ROLLBACK_SCRIPT, str(files_ws), execution_id, target_id, "after_files:1"],
        capture_output=True, text=True, timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr


def test_a_dead_processs_rollback_that_cannot_be_finished_is_unwound_closed_and_named(
    files_ws: Path, caplog: pytest.LogCaptureFixture
) -> None:
    execution_id, head, target_id, blob = _prepared(files_ws, "d")
    before = workspace_tree(files_ws)
    _kill_mid_rollback(files_ws, execution_id, target_id)
    assert workspace_tree(files_ws) != before  # half-way
    blob.unlink()  # the replay needs work/a.txt's blob
    with caplog.at_level(logging.WARNING, logger="wtb"), WTBTestBench.create(workspace=files_ws) as bench:
        assert workspace_tree(files_ws) == before  # back at the undo point
        assert bench.get_execution(execution_id).head_checkpoint_id == head
        assert _outbox(bench) == [("rollback", "failed")]
        assert bench.pending_rollbacks() == []
        with pytest.raises(InvalidStateError, match="no rollback to undo"):
            bench.undo_rollback(execution_id)
    assert f"could not finish the interrupted rollback of execution {execution_id} to checkpoint {target_id}" in (
        caplog.text
    )
    assert "put back as they were before it" in caplog.text
    with WTBTestBench.create(workspace=files_ws) as bench:
        assert bench.get_execution(execution_id).head_checkpoint_id == head


def test_a_dead_processs_rollback_is_finished_and_named(files_ws: Path, caplog: pytest.LogCaptureFixture) -> None:
    execution_id, _, target_id, _ = _prepared(files_ws, "f")
    _kill_mid_rollback(files_ws, execution_id, target_id)
    with caplog.at_level(logging.WARNING, logger="wtb"), WTBTestBench.create(workspace=files_ws) as bench:
        assert bench.get_execution(execution_id).head_checkpoint_id == target_id
    assert f"finished the interrupted rollback of execution {execution_id} to checkpoint {target_id}" in caplog.text


def _race(bench: Any, execution_id: str, first: str, second: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Roll back to ``first`` and, while it holds the locks, start rolling back to ``second``."""
    inside, release = threading.Event(), threading.Event()

    def hold_the_first(point: str) -> bool:
        if point == "rollback.after_journal" and not inside.is_set():
            inside.set()
            release.wait(10)
        return False

    monkeypatch.setattr(faults, "hit", hold_the_first)
    errors: list[BaseException] = []

    def roll(target: str) -> None:
        try:
            bench.rollback(execution_id, target)
        except BaseException as exc:  # reported below
            errors.append(exc)

    one = threading.Thread(target=roll, args=(first,))
    one.start()
    assert inside.wait(10)
    two = threading.Thread(target=roll, args=(second,))
    two.start()
    time.sleep(0.3)  # the second is waiting for the locks now
    release.set()
    one.join(30)
    two.join(30)
    monkeypatch.undo()
    assert errors == []


def test_two_rollbacks_at_once_then_undo_leave_state_and_files_at_one_checkpoint(
    files_ws: Path, make_bench: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second rollback must record as its previous head the first one's target, not the
    head both saw before either took the locks (undo would then pair one's state with the
    other's files)."""
    bench = make_bench(files_ws)
    execution = bench.run("files", {"tag": "c"})
    by_step = {c.step: c.id for c in bench.get_checkpoints(execution.id)}
    trees = {by_step[step]: bench.get_state(execution.id, by_step[step])["tree"] for step in (1, 2, 3)}
    for start, first, second in [(3, 1, 2), (1, 2, 3), (2, 3, 1), (3, 2, 1)]:
        bench.rollback(execution.id, by_step[start])
        _race(bench, execution.id, by_step[first], by_step[second], monkeypatch)
        assert bench.get_execution(execution.id).head_checkpoint_id == by_step[second]
        assert workspace_tree(files_ws) == trees[by_step[second]]
        undone = bench.undo_rollback(execution.id)
        head = bench.get_execution(execution.id).head_checkpoint_id
        assert (undone.checkpoint_id, head) == (by_step[first], by_step[first]), (start, first, second)
        assert workspace_tree(files_ws) == trees[head], (start, first, second)


BIG_WORKFLOW = '''
from pathlib import Path
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    n: int

def small(state):
    Path("small.txt").write_text("one")
    return {"n": 1}

def big(state):
    Path("small.txt").write_text("two")
    Path("big.bin").write_bytes(b"x" * 2000)
    return {"n": 2}

graph = StateGraph(S)
graph.add_node("small", small)
graph.add_node("big", big)
graph.add_edge(START, "small")
graph.add_edge("small", "big")
graph.add_edge("big", END)
'''


def test_a_rollback_names_the_files_over_the_size_limit_it_left_alone(make_workspace: Any, make_bench: Any) -> None:
    ws = make_workspace({"big_flow.py": BIG_WORKFLOW}, {"big": "./big_flow.py:graph"})
    bench = make_bench(ws, file_tracking=FileTrackingConfig(max_file_size=1000))
    execution = bench.run("big", {})
    by_step = {c.step: c.id for c in bench.get_checkpoints(execution.id)}
    back = bench.rollback(execution.id, by_step[1])
    assert back.files_written == ["small.txt"]
    assert [s.path for s in back.skipped] == ["big.bin"]
    assert "over the size limit (2000 bytes)" in back.skipped[0].reason and "left in place" in back.skipped[0].reason
    assert (ws / "big.bin").stat().st_size == 2000
    (ws / "big.bin").write_bytes(b"y" * 3000)
    forth = bench.rollback(execution.id, by_step[2])
    assert forth.skipped == [
        SkippedFile("big.bin", "over the size limit in the snapshot (2000 bytes), never stored: left as it is now")
    ]
    assert (ws / "big.bin").read_bytes() == b"y" * 3000
    assert bench.undo_rollback(execution.id).skipped[0].path == "big.bin"
    assert os.path.getsize(ws / "big.bin") == 3000
