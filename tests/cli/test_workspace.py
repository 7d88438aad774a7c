"""The workspace is the nearest folder upward with langgraph.json, [tool.wtb] or .wtb/ (issue
20); a command that only reads never makes .wtb/, and a folder that is no workspace is one
line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.checks import one_clear_line
from tests.cli.conftest import Cli
from tests.test_cli import wtb

READ_ONLY = [
    ("projects",), ("executions",), ("tree",), ("stats",), ("doctor",), ("gc",), ("prune", "--keep-last", "1"),
    ("env", "ls"), ("state", "abcd1234"), ("checkpoints", "abcd1234"), ("diff", "abcd1234", "abcd1234@1"),
    ("cat", "abcd1234", "@1", "x.txt"), ("files", "abcd1234"), ("rollback", "abcd1234", "@1"), ("check",),
]


def test_the_workspace_is_found_upward_from_the_current_folder(ws: Path, cli: Cli,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    deep = ws / "work" / "deeper"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    code, out, err = cli("projects", "--json")
    assert code == 0, err
    assert [p["name"] for p in json.loads(out)] == ["files"]
    assert not (deep / ".wtb").exists() and not (ws / "work" / ".wtb").exists()


@pytest.mark.parametrize("marker", ["langgraph.json", "pyproject.toml", ".wtb"])
def test_each_marker_makes_a_workspace(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                       marker: str) -> None:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "flow.py").write_text("graph = None\n")
    if marker == "langgraph.json":
        (root / marker).write_text(json.dumps({"graphs": {"flow": "./flow.py:graph"}}))
    elif marker == "pyproject.toml":
        (root / marker).write_text('[project]\nname = "p"\n\n[tool.wtb.workflows]\nflow = "./flow.py:graph"\n')
    else:
        (root / ".wtb").mkdir()
    monkeypatch.chdir(root / "src")
    code, out, err = cli("executions", "--json")
    assert (code, json.loads(out), err) == (0, [], "")
    assert (root / ".wtb").exists() == (marker == ".wtb")  # found, and nothing made there


def test_a_pyproject_without_tool_wtb_is_no_workspace(tmp_path: Path, cli: Cli,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n[tool.ruff]\nline-length = 100\n')
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("projects")
    assert code == 2 and out == ""
    assert err.startswith("wtb: error: No WTB workspace in") and err.count("\n") == 1
    assert not (tmp_path / ".wtb").exists()


def test_projects_in_a_folder_that_is_no_workspace_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    one_clear_line(wtb("projects", cwd=empty), "No WTB workspace in", "langgraph.json", "[tool.wtb]")
    one_clear_line(wtb("projects", "--workspace", str(empty)), "is not a WTB workspace")
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: a[0])
def test_a_command_that_only_reads_never_makes_the_data_dir(make_workspace, cli: Cli, args: tuple[str, ...]) -> None:
    from tests.engine.conftest import FILES_WORKFLOW

    root = make_workspace({"files_flow.py": FILES_WORKFLOW}, {"files": "./files_flow.py:graph"})
    code, out, err = cli(*args, "--workspace", root)
    assert not (root / ".wtb").exists(), args
    if args[0] in ("state", "checkpoints", "diff", "cat", "files", "rollback"):
        assert code == 2 and "No execution 'abcd1234'" in err, err
    elif args[0] == "check":
        assert code == 2 and "No golden runs yet" in err
    else:
        assert code == 0, err
    if args[0] == "doctor":
        assert str(root / ".wtb") in out and "no data directory yet" in out
