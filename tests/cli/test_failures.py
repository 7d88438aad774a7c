"""The CLI when a rollback cannot be done: one line, nothing changed, the data dir usable; a
dead process's rollback finished (or given up) is said on stderr; a rollback's skipped files
are listed."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.cli.checks import drop_journals, one_clear_line
from tests.engine.conftest import workspace_tree
from tests.engine.test_crash import ROLLBACK_SCRIPT


def wtb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wtb", *args], capture_output=True, text=True, timeout=120)


def _head(ws: Path, execution_id: str) -> str:
    with closing(sqlite3.connect(ws / ".wtb" / "wtb.db")) as conn:
        row = conn.execute("SELECT head_checkpoint_id FROM executions WHERE id = ?", (execution_id,)).fetchone()
    return str(row[0])


def _step(ws: Path, execution_id: str, step: int) -> str:
    result = wtb("checkpoints", execution_id, "--workspace", str(ws), "--json")
    return str(next(c["id"] for c in json.loads(result.stdout) if c["step"] == step))


def test_an_emptied_filetrack_db_refuses_a_rollback_instead_of_moving_the_state_alone(
    ws: Path, made: tuple[Path, str]
) -> None:
    execution_id = made[1]
    target = _step(ws, execution_id, 1)
    head, before = _head(ws, execution_id), workspace_tree(ws)
    db = ws / ".wtb" / ".filetrack" / "filetrack.db"
    drop_journals(db)
    db.write_bytes(b"")
    one_clear_line(wtb("rollback", execution_id, target, "--workspace", str(ws)), "no file snapshot")
    assert (_head(ws, execution_id), workspace_tree(ws)) == (head, before)


def test_a_rollback_with_a_missing_blob_fails_once_and_leaves_the_data_dir_usable(
    ws: Path, made: tuple[Path, str]
) -> None:
    execution_id = made[1]
    target = _step(ws, execution_id, 1)
    head, before = _head(ws, execution_id), workspace_tree(ws)
    digest = json.loads(wtb("files", execution_id, target, "--workspace", str(ws), "--json").stdout)["work/a.txt"]
    blob = ws / ".wtb" / ".filetrack" / "blobs" / digest["hash"][:2] / digest["hash"][2:]
    saved = blob.read_bytes()
    blob.unlink()
    one_clear_line(wtb("rollback", execution_id, target, "--workspace", str(ws)), "is missing", "nothing was changed")
    listed = wtb("executions", "--workspace", str(ws))
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    one_clear_line(wtb("rollback", "--undo", execution_id, "--workspace", str(ws)), "no rollback to undo")
    blob.write_bytes(saved)
    assert wtb("executions", "--workspace", str(ws)).returncode == 0
    assert (_head(ws, execution_id), workspace_tree(ws)) == (head, before)  # never performed behind the user's back


def _kill_mid_rollback(ws: Path, execution_id: str, target: str) -> None:
    child = subprocess.run(
        [sys.executable, "-c", ROLLBACK_SCRIPT, str(ws), execution_id, target, "after_files:1"],
        capture_output=True, text=True, timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr


@pytest.mark.parametrize("blob", ["kept", "lost"])
def test_the_cli_says_what_became_of_a_dead_processs_rollback(ws: Path, made: tuple[Path, str], blob: str) -> None:
    execution_id = made[1]
    target = _step(ws, execution_id, 1)
    head, before = _head(ws, execution_id), workspace_tree(ws)
    files: dict[str, Any] = json.loads(wtb("files", execution_id, target, "--workspace", str(ws), "--json").stdout)
    _kill_mid_rollback(ws, execution_id, target)
    if blob == "lost":
        digest = files["work/a.txt"]["hash"]
        (ws / ".wtb" / ".filetrack" / "blobs" / digest[:2] / digest[2:]).unlink()
    listed = wtb("executions", "--workspace", str(ws))
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert listed.stderr.count("\n") == 1, listed.stderr
    if blob == "kept":
        assert f"finished the interrupted rollback of execution {execution_id} to checkpoint {target}" in listed.stderr
        assert _head(ws, execution_id) == target
    else:
        assert f"could not finish the interrupted rollback of execution {execution_id} to checkpoint {target}" in (
            listed.stderr
        )
        assert (_head(ws, execution_id), workspace_tree(ws)) == (head, before)
    again = wtb("executions", "--workspace", str(ws))
    assert again.returncode == 0 and again.stderr == ""


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
    with open("big.bin", "wb") as f:
        f.truncate(60 << 20)  # 60 MiB (sparse): over the default 50 MB limit
    return {"n": 2}

graph = StateGraph(S)
graph.add_node("small", small)
graph.add_node("big", big)
graph.add_edge(START, "small")
graph.add_edge("small", "big")
graph.add_edge("big", END)
'''


def test_rollback_lists_the_files_it_skipped(make_workspace: Any) -> None:
    ws = make_workspace({"big_flow.py": BIG_WORKFLOW}, {"big": "./big_flow.py:graph"})
    execution = json.loads(wtb("run", "big", "--workspace", str(ws), "--json").stdout)
    target = _step(ws, execution["id"], 1)
    human = wtb("rollback", execution["id"], target, "--workspace", str(ws))
    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    assert "skipped: 1 path(s) left as they are:" in lines
    assert any(line.startswith("  big.bin: over the size limit (62914560 bytes)") for line in lines), human.stdout
    undone = json.loads(wtb("rollback", "--undo", execution["id"], "--workspace", str(ws), "--json").stdout)
    assert undone["skipped"] == []  # the same big file on both sides: nothing differs
    again = json.loads(wtb("rollback", execution["id"], target, "--workspace", str(ws), "--json").stdout)
    assert [s["path"] for s in again["skipped"]] == ["big.bin"] and "left in place" in again["skipped"][0]["reason"]
