"""A workflow sees langgraph.json's ``env`` and ``EnvironmentConfig.env_vars`` while it is
imported and while it runs, as under ``langgraph dev``; the caller's environment is left as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wtb import EnvironmentConfig, WorkflowProject
from wtb.errors import WorkflowLoadError

FLOW = """
import os
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

AT_IMPORT = os.environ.get("WTB_T_MODEL", "<unset>")  # as a chat model built at import time reads its key

class S(TypedDict, total=False):
    seen: str

def look(state):
    seen = f"{AT_IMPORT} {os.environ.get('WTB_T_KEY', '<unset>')} {os.environ.get('WTB_T_REGION', '<unset>')}"
    open("seen.txt", "w").write(seen)
    return {"seen": seen}

graph = StateGraph(S)
graph.add_node("look", look)
graph.add_edge(START, "look")
graph.add_edge("look", END)
"""

ENV_FILE = """
# the user's secrets
WTB_T_MODEL=small
export WTB_T_KEY="sk-from-file"
WTB_T_REGION='eu'
"""


def _workspace(make_workspace, env: object) -> Path:
    ws = make_workspace({"flow.py": FLOW, ".env": ENV_FILE})
    (ws / "langgraph.json").write_text(json.dumps({"graphs": {"flow": "./flow.py:graph"}, "env": env}))
    return ws


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WTB_T_MODEL", "WTB_T_KEY", "WTB_T_REGION"):
        monkeypatch.delenv(name, raising=False)


def test_the_env_file_is_seen_at_import_and_in_nodes_and_the_process_environment_wins(
    make_workspace, make_bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WTB_T_REGION", "us")  # set by the user's shell: wins over the file
    ws = _workspace(make_workspace, ".env")
    bench = make_bench(ws)
    execution = bench.run("flow", {})
    assert bench.get_state(execution.id)["seen"] == "small sk-from-file us"
    assert "WTB_T_KEY" not in os.environ and "WTB_T_MODEL" not in os.environ  # put back after the run
    assert os.environ["WTB_T_REGION"] == "us"
    assert set(bench.get_files(execution.id)) == {"flow.py", "langgraph.json", "seen.txt"}  # no secrets kept


def test_inline_env_variables_are_set_over_the_process_environment(
    make_workspace, make_bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WTB_T_KEY", "from-shell")
    ws = _workspace(make_workspace, {"WTB_T_MODEL": "large", "WTB_T_KEY": "inline"})
    bench = make_bench(ws)
    assert bench.get_state(bench.run("flow", {}).id)["seen"] == "large inline <unset>"
    assert os.environ["WTB_T_KEY"] == "from-shell"


def test_a_missing_env_file_is_a_clear_error_and_records_nothing(make_workspace, make_bench) -> None:
    ws = _workspace(make_workspace, ".env.local")
    bench = make_bench(ws)
    with pytest.raises(WorkflowLoadError, match=r"env file '\.env\.local'.*is not in"):
        bench.run("flow", {})
    assert bench.list_executions() == []
    assert not (ws / "seen.txt").exists()


def test_environment_config_env_vars_reach_a_registered_project(make_workspace, make_bench) -> None:
    ws = make_workspace({"flow.py": FLOW})
    bench = make_bench(ws)
    bench.register_project(WorkflowProject(
        name="configured", graph="./flow.py:graph",
        environment=EnvironmentConfig(env_vars={"WTB_T_KEY": "sdk"}, env_file=None),
    ))
    assert bench.get_state(bench.run("configured", {}).id)["seen"] == "<unset> sdk <unset>"


def test_the_cli_run_sees_the_env_file(make_workspace) -> None:
    ws = _workspace(make_workspace, ".env")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WTB_T_")}
    done = subprocess.run(
        [sys.executable, "-m", "wtb", "run", "flow", "--workspace", str(ws)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (ws / "seen.txt").read_text() == "small sk-from-file eu"
