"""Shared fixtures: real workspaces on disk and benches on real SQLite files."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_workspace"
RAG_INPUT = {"query": "How much did revenue grow?", "top_k": 2}

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def pytest_report_header() -> str:
    from wtb.versions import describe, library_versions

    return "libraries: " + describe(library_versions())


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int) -> None:
    """Name the library versions next to failures: a new release that broke WTB shows up here."""
    if terminalreporter.stats.get("failed") or terminalreporter.stats.get("error"):
        from wtb.versions import describe, library_versions

        terminalreporter.write_line("failed with: " + describe(library_versions()))


@pytest.fixture
def sample_ws(tmp_path: Path) -> Path:
    """A fresh copy of ``sample_workspace/`` (without any data dir or outputs)."""
    target = tmp_path / "sample_workspace"
    shutil.copytree(
        SAMPLE, target, ignore=shutil.ignore_patterns(".wtb", "index", "out", "drafts", "__pycache__")
    )
    return target


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """Write workflow files (dedented) and a ``langgraph.json`` naming ``graphs``."""

    def make(files: dict[str, str], graphs: dict[str, str] | None = None, name: str = "ws") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        if graphs is not None:
            (root / "langgraph.json").write_text(json.dumps({"graphs": graphs}), encoding="utf-8")
        return root

    return make


@pytest.fixture
def make_bench() -> Iterator[Callable[..., Any]]:
    """Open benches that are closed at the end of the test."""
    from wtb import WTBTestBench

    opened: list[Any] = []

    def make(workspace: Path, **kwargs: Any) -> Any:
        bench = WTBTestBench.create(workspace=workspace, **kwargs)
        opened.append(bench)
        return bench

    yield make
    for bench in opened:
        bench.close()


LINEAR_WORKFLOW = """
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    n: int
    log: str

def make_step(i):
    def step(state):
        return {"n": state.get("n", 0) + 1, "log": state.get("log", "") + f"{i},"}
    step.__name__ = f"step_{i}"
    return step

def build(count=3):
    g = StateGraph(S)
    prev = START
    for i in range(count):
        g.add_node(f"s{i}", make_step(i))
        g.add_edge(prev, f"s{i}")
        prev = f"s{i}"
    g.add_edge(prev, END)
    return g

graph = build()
"""
