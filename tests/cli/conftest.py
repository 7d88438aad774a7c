"""Shared by the CLI's tests: one finished run (to read, or to damage), copied for each test,
and ``cli``: ``wtb`` called in this process, its exit status and output."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import FILES_WORKFLOW
from wtb import WTBTestBench


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A workspace with one finished run (copied for each test): (workspace, execution id)."""
    root = tmp_path_factory.mktemp("damaged") / "ws"
    root.mkdir()
    (root / "files_flow.py").write_text(FILES_WORKFLOW)
    (root / "notes.md").write_text("user notes\n")
    (root / "langgraph.json").write_text(json.dumps({"graphs": {"files": "./files_flow.py:graph"}}))
    with WTBTestBench.create(workspace=root) as bench:
        execution = bench.run("files", {"tag": "d"})
    return root, execution.id


@pytest.fixture
def ws(made: tuple[Path, str], tmp_path: Path) -> Path:
    target = tmp_path / "ws"
    shutil.copytree(made[0], target, symlinks=True)
    return target


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli("state", id, "--workspace", ws)`` -> (exit status, stdout, stderr), in this process."""
    from wtb.cli import main

    def call(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: --help, or a bad argument
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return call
