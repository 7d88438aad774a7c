"""A node in its own Python environment, built from the package registry (issue 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgpack
import pytest

from wtb import EnvironmentConfig, NodeEnvironment, WorkflowProject, WTBTestBench
from wtb.engine.node_env import NodeEnvironmentError
from wtb.models import ExecutionStatus

FLOW = """
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    x: int
    version: str
    y: int

def a(state):
    return {"x": 1}

def placeholder(state):
    raise RuntimeError("this node must run in its own environment")

def c(state):
    return {"y": state["x"] * 10}

graph = StateGraph(S)
graph.add_node("a", a)
graph.add_node("b", placeholder)
graph.add_node("c", c)
graph.add_edge(START, "a")
graph.add_edge("a", "b")
graph.add_edge("b", "c")
graph.add_edge("c", END)
"""

NODE = """
import msgpack
from pathlib import Path

def b(state):
    print("hello from the node's environment")
    Path("from_env.txt").write_text("written in the env")
    return {"x": state["x"] + 1, "version": ".".join(map(str, msgpack.version))}

def broken(state):
    raise KeyError("missing thing")

def die(state):
    import os
    os._exit(3)
"""

OLD_MSGPACK = "msgpack==1.0.8"


@pytest.fixture(scope="module")
def env_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("envws")
    (root / "flow.py").write_text(FLOW)
    (root / "node_b.py").write_text(NODE)
    return root


def project(name: str, **env: object) -> WorkflowProject:
    return WorkflowProject(
        name=name, graph="./flow.py:graph", environment=EnvironmentConfig(node_envs={"b": NodeEnvironment(**env)})
    )


def test_a_node_runs_in_its_own_venv_with_another_package_version(env_ws: Path) -> None:
    assert msgpack.version >= (1, 1, 0)  # WTB's own msgpack is newer than the node's
    with WTBTestBench.create(workspace=env_ws) as bench:
        bench.register_project(project("env", requirements=[OLD_MSGPACK], entrypoint="node_b:b"))
        first = bench.run("env", {})
        assert first.status is ExecutionStatus.COMPLETED, first.error
        state = bench.get_state(first.id)
        assert state["version"] == "1.0.8" and state["y"] == 20
        by_b = next(c for c in bench.get_checkpoints(first.id) if "b" in c.writes)
        assert list(by_b.output_files) == ["from_env.txt"]  # the env's file writes are tracked
        assert "hello from the node's environment" in (bench.data_dir / "logs" / f"{first.id}.log").read_text()
        envs = list((bench.data_dir / "envs").glob("*/wtb-env.json"))
        second = bench.run("env", {})
        assert second.status is ExecutionStatus.COMPLETED
        assert list((bench.data_dir / "envs").glob("*/wtb-env.json")) == envs  # reused, not rebuilt
        listed = subprocess.run(
            [sys.executable, "-m", "wtb", "env", "ls", "--workspace", str(env_ws), "--json"],
            capture_output=True, text=True, check=True,
        ).stdout
        assert OLD_MSGPACK in listed


def test_a_node_that_raises_in_its_env_fails_the_run_clearly(env_ws: Path) -> None:
    with WTBTestBench.create(workspace=env_ws) as bench:
        bench.register_project(project("env_broken", requirements=[OLD_MSGPACK], entrypoint="node_b:broken"))
        execution = bench.run("env_broken", {})
        assert execution.status is ExecutionStatus.FAILED
        assert execution.error is not None and execution.error.node == "b"
        assert "KeyError" in execution.error.message and "missing thing" in execution.error.message


def test_a_node_whose_interpreter_dies_fails_the_run_and_the_next_run_works(env_ws: Path) -> None:
    with WTBTestBench.create(workspace=env_ws) as bench:
        bench.register_project(project("env_die", requirements=[OLD_MSGPACK], entrypoint="node_b:die"))
        bench.register_project(project("env_ok", requirements=[OLD_MSGPACK], entrypoint="node_b:b"))
        died = bench.run("env_die", {})
        assert died.status is ExecutionStatus.FAILED
        assert died.error is not None and "died (exit code 3)" in died.error.message
        assert bench.run("env_ok", {}).status is ExecutionStatus.COMPLETED


def test_requirements_that_cannot_be_installed_give_a_clear_error(env_ws: Path) -> None:
    with WTBTestBench.create(workspace=env_ws) as bench:
        bench.register_project(project("env_bad", requirements=["wtb-no-such-package-exists==0.0.1"], entrypoint="x:y"))
        with pytest.raises(NodeEnvironmentError, match="Creating a node environment failed"):
            bench.run("env_bad", {})
        bench.register_project(project("env_noentry", requirements=[OLD_MSGPACK]))
        with pytest.raises(NodeEnvironmentError, match="no entrypoint"):
            bench.run("env_noentry", {})


def test_the_runner_imports_a_node_file_inside_a_package_with_its_relative_imports(tmp_path: Path) -> None:
    """A node given as ``src/agent/nodes.py:step`` whose file imports ``from .tools import ...``
    (the package not installed), served by the runner script as a node environment runs it."""
    import struct

    from wtb.engine import node_runner_script

    package = tmp_path / "src" / "agent"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tools.py").write_text("def bump(n):\n    return n + 1\n")
    (package / "nodes.py").write_text(
        "from .tools import bump\n\ndef step(state):\n    return {'n': bump(state['n'])}\n"
    )
    request = msgpack.packb({"dir": str(tmp_path), "ref": "src/agent/nodes.py:step", "state": {"n": 1}})
    done = subprocess.run(
        [sys.executable, node_runner_script.__file__],
        input=struct.pack(">I", len(request)) + request, capture_output=True, check=True, timeout=60,
    )
    (size,) = struct.unpack(">I", done.stdout[:4])
    assert msgpack.unpackb(done.stdout[4 : 4 + size]) == {"ok": {"n": 2}, "log": ""}
