"""Fixtures of the batch tests: one local Ray for the session, and workspaces with test workflows."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

# A workflow whose second node does what the state asks: finish, raise, kill its process,
# or sleep; it reports the Ray resources its actor was given.
FLOW = '''
import os
import time
from pathlib import Path
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    label: str
    mode: str
    seconds: float
    resources: dict
    out: str


def prepare(state):
    Path("out").mkdir(exist_ok=True)
    Path("out/result.txt").write_text(f"prepared {state.get('label', '')}\\n")
    return {"out": "prepared"}


def act(state):
    mode = state.get("mode", "ok")
    if mode == "raise":
        raise RuntimeError(f"boom in {state.get('label')}")
    if mode == "exit":
        os._exit(17)
    if mode == "sleep":
        time.sleep(state.get("seconds", 60))
    resources = {}
    import ray

    if ray.is_initialized() and ray.get_runtime_context().worker.mode == ray.WORKER_MODE:
        resources = dict(ray.get_runtime_context().get_assigned_resources())
    Path("out/result.txt").write_text(f"done {state.get('label', '')}\\n")
    return {"out": "done", "resources": resources}


graph = StateGraph(S)
graph.add_node("prepare", prepare)
graph.add_node("act", act)
graph.add_edge(START, "prepare")
graph.add_edge("prepare", "act")
graph.add_edge("act", END)
'''

RETRIEVERS = '''
def always_sqlite(state):
    """A retriever that ignores the query: the override of rag_retrieve in the tests."""
    return {"retrieved": ["sqlite.txt"]}
'''


@pytest.fixture(scope="session")
def ray_local() -> Iterator[Any]:
    """A local Ray with two CPUs and no dashboard, started once for the whole session."""
    import ray

    started = False
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
        started = True
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture
def flow_ws(make_workspace: Any) -> Path:
    workspace: Path = make_workspace({"flow.py": FLOW}, {"flow": "./flow.py:graph"}, name="flow_ws")
    return workspace


@pytest.fixture
def rag_ws(sample_ws: Path) -> Path:
    (sample_ws / "retrievers.py").write_text(textwrap.dedent(RETRIEVERS), encoding="utf-8")
    return sample_ws
