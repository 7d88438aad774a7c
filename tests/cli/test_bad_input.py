"""Bad input is refused before anything is written, on one line, exit 2 (issue 20): a pause at
no node, a workflow file that does not import, a resume value or a --set that is not JSON, a
JUnit file in no folder, a completed run resumed, an unknown golden; prune removes what a dead
process left pending."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli.checks import one_clear_line
from tests.cli.conftest import Cli
from tests.test_cli import wtb
from wtb import WTBTestBench


def _executions(ws: Path) -> list[dict[str, object]]:
    result = wtb("executions", "--workspace", str(ws), "--json")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def test_a_run_refused_before_it_starts_leaves_no_pending_execution(ws: Path, made: tuple[Path, str]) -> None:
    one_clear_line(wtb("run", "files", "--pause-before", "nosuchnode", "--workspace", str(ws)),
                   "no node 'nosuchnode' to pause at", "create, modify_delete, recreate_rename")
    (ws / "broken.py").write_text("def broken(:\n    pass\n")
    (ws / "langgraph.json").write_text(json.dumps({"graphs": {"files": "./files_flow.py:graph",
                                                              "broken": "./broken.py:graph"}}))
    one_clear_line(wtb("run", "broken", "--workspace", str(ws)), "broken.py", "SyntaxError")
    assert [e["id"] for e in _executions(ws)] == [made[1]]


def test_json_arguments_are_checked_before_any_work(ws: Path, made: tuple[Path, str], cli: Cli) -> None:
    before = wtb("checkpoints", made[1], "--workspace", str(ws), "--json").stdout
    with WTBTestBench.create(workspace=ws) as bench:
        paused = bench.fork(made[1], "@1").id
    for args, needle in [
        (("resume", paused, "--resume-value", "{bad"), "argument --resume-value: '{bad' is not JSON"),
        (("resume", paused, "--set", "tag=notjson"), "the value is not JSON"),
        (("fork", made[1], "@1", "--set", "tag=notjson"), "a string needs quotes: tag='\"notjson\"'"),
        (("fork", made[1], "@1", "--set", "=1"), "is not KEY=JSON"),
        (("run", "files", "--input", "[1]"), "is a StateGraph: its input is its initial state, an object"),
        (("run", "files", "--input", '"text"'), "not a str. Only an @entrypoint"),
    ]:
        one_clear_line(wtb(*args, "--workspace", str(ws)), needle)
    assert wtb("checkpoints", made[1], "--workspace", str(ws), "--json").stdout == before
    assert len(_executions(ws)) == 2  # the run and the fork, nothing more
    assert next(e for e in _executions(ws) if e["id"] == paused)["status"] == "paused"
    code, out, _ = cli("fork", "--help")
    assert code == 0 and "KEY=JSON" in out and "a string needs quotes" in out


def test_a_junit_file_in_no_folder_is_refused_before_the_check_runs(ws: Path, made: tuple[Path, str]) -> None:
    assert wtb("golden", made[1], "--workspace", str(ws)).returncode == 0
    one_clear_line(wtb("check", "--junit", "/no/such/dir/x.xml", "--workspace", str(ws)),
                   "argument --junit: folder /no/such/dir does not exist")
    assert len(_executions(ws)) == 1  # no check ran


def test_an_unknown_golden_names_the_cli_command(ws: Path, made: tuple[Path, str]) -> None:
    line = one_clear_line(wtb("check", "nosuch", "--workspace", str(ws)), "'nosuch'", "`wtb golden EXECUTION")
    assert "mark_golden" not in line


def test_resuming_a_completed_execution_is_an_error(ws: Path, made: tuple[Path, str]) -> None:
    one_clear_line(wtb("resume", made[1][:8], "--workspace", str(ws)), "is completed", "nothing to resume")


def test_errors_of_the_command_line_itself_are_one_line(ws: Path) -> None:
    one_clear_line(wtb("state", "--workspace", str(ws)), "the following arguments are required: execution")
    one_clear_line(wtb("nosuchcommand"), "invalid choice: 'nosuchcommand'")
    one_clear_line(wtb("executions", "--limit", "many", "--workspace", str(ws)), "invalid int value: 'many'")


def test_prune_removes_a_pending_execution_that_never_started(ws: Path, made: tuple[Path, str]) -> None:
    with WTBTestBench.create(workspace=ws) as bench:
        orphan = bench.create_execution("files", {"tag": "o"}).id
        fresh = bench.create_execution("files", {"tag": "f"}).id
    with closing(sqlite3.connect(ws / ".wtb" / "wtb.db")) as conn, conn:
        conn.execute("UPDATE executions SET created_at = created_at - 3600 WHERE id = ?", (orphan,))
    result = wtb("prune", "--workspace", str(ws), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["deleted"] == [orphan]
    assert {e["id"] for e in _executions(ws)} == {made[1], fresh}


def test_an_unexpected_error_is_one_line_unless_the_traceback_is_asked_for(
    ws: Path, made: tuple[Path, str], cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: WTBTestBench) -> None:  # stands for a bug in WTB
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(WTBTestBench, "storage_stats", broken)
    code, out, err = cli("stats", "--workspace", ws)
    assert (code, out) == (2, "")
    assert err == "wtb: error: unexpected RuntimeError: boom (WTB_TRACEBACK=1 shows where)\n"
    monkeypatch.setenv("WTB_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli("stats", "--workspace", ws)
