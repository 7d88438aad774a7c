"""Bad input gets a clear WTBError and writes nothing half-way (issue 2)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import LINEAR_WORKFLOW, RAG_INPUT
from wtb import WorkflowProject, WTBTestBench
from wtb.errors import (
    InvalidArgumentError,
    NonSerializableStateError,
    UnknownCheckpointError,
    UnknownExecutionError,
    UnknownProjectError,
    WorkflowLoadError,
    WTBError,
)
from wtb.models import ExecutionStatus


def test_unknown_mode_names_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="development, testing"):
        WTBTestBench.create(mode="production", workspace=tmp_path)


def test_testing_mode_uses_a_temporary_data_dir_removed_on_close(sample_ws: Path) -> None:
    with WTBTestBench.create(mode="testing", workspace=sample_ws) as bench:
        data_dir = bench.data_dir
        bench.run("rag", RAG_INPUT)
        assert (data_dir / "wtb_checkpoints.db").is_file()
        assert not (sample_ws / ".wtb").exists()
    assert not data_dir.exists()


def test_unknown_ids(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    with pytest.raises(UnknownProjectError, match=r"'nope'.*rag, reviser"):
        bench.run("nope")
    with pytest.raises(UnknownExecutionError, match="'feedbeef'"):
        bench.get_checkpoints("feedbeef")
    execution = bench.run("rag", RAG_INPUT)
    with pytest.raises(UnknownCheckpointError, match="no-such-checkpoint"):
        bench.get_state(execution.id, "no-such-checkpoint")
    with pytest.raises(UnknownCheckpointError):
        bench.get_checkpoints(execution.id, before="no-such-checkpoint")


def test_workflow_file_that_does_not_import(make_workspace, make_bench) -> None:
    ws = make_workspace({"bad.py": "import definitely_not_installed_module\n"}, {"bad": "./bad.py:graph"})
    bench = make_bench(ws)
    with pytest.raises(WorkflowLoadError, match=r"bad\.py failed with ModuleNotFoundError"):
        bench.run("bad")
    assert bench.list_executions() == []  # loaded before anything is recorded (issue 20)


def test_missing_file_missing_attribute_and_not_a_graph(make_workspace, make_bench) -> None:
    ws = make_workspace(
        {"flow.py": LINEAR_WORKFLOW + "\nnot_a_graph = 42\n"},
        {"gone": "./missing.py:graph", "attr": "./flow.py:nothing", "num": "./flow.py:not_a_graph",
         "malformed": "flow.py"},
    )
    bench = make_bench(ws)
    with pytest.raises(WorkflowLoadError, match="does not exist"):
        bench.get_graph("gone")
    with pytest.raises(WorkflowLoadError, match="no attribute 'nothing'"):
        bench.get_graph("attr")
    with pytest.raises(WorkflowLoadError, match="is a int, not a LangGraph StateGraph"):
        bench.get_graph("num")
    with pytest.raises(WorkflowLoadError, match="not of the form"):
        bench.get_graph("malformed")


def test_factory_compiled_graph_and_object_projects(make_workspace, make_bench) -> None:
    ws = make_workspace(
        {"flow.py": LINEAR_WORKFLOW + "\ncompiled = build(2).compile()\n"},
        {"factory": "./flow.py:build", "compiled": "./flow.py:compiled"},
    )
    bench = make_bench(ws)
    assert bench.get_state(bench.run("factory", {"n": 0}).id)["n"] == 3
    assert bench.get_state(bench.run("compiled", {"n": 0}).id)["n"] == 2
    from tests.conftest import LINEAR_WORKFLOW as _  # noqa: F401

    namespace: dict[str, object] = {}
    exec(compile(LINEAR_WORKFLOW, "inline", "exec"), namespace)
    bench.register_project(WorkflowProject(name="inline", graph=namespace["build"](4)))
    assert bench.get_state(bench.run("inline", {"n": 0}).id)["n"] == 4


FACTORIES = """
import contextlib
from typing import TypedDict
from langgraph.graph import StateGraph, START, END

class S(TypedDict, total=False):
    n: int
    model: str

def build(model):
    def step(state):
        open("used.txt", "a").write(model + "\\n")
        return {"n": state.get("n", 0) + 1, "model": model}
    g = StateGraph(S)
    g.add_node("step", step)
    g.add_edge(START, "step")
    g.add_edge("step", END)
    return g.compile()

def with_config(config):
    return build(config["configurable"].get("model", "default-" + str(config["recursion_limit"])))

async def made_async():
    return build("async")

entered = []

@contextlib.contextmanager
def managed():
    entered.append(True)
    yield build("managed")

@contextlib.asynccontextmanager
async def managed_async():
    yield build("managed-async")

def two_args(config, store):
    return build("never")

def raises():
    raise RuntimeError("no API key")

def server_only(runtime: "ServerRuntime"):
    return build("never")
"""


def test_graph_factories_as_langgraph_json_allows(make_workspace, make_bench) -> None:
    """A factory taking a RunnableConfig, an async one and a context manager run their graph."""
    names = ("with_config", "made_async", "managed")
    ws = make_workspace({"flows.py": FACTORIES}, {name: f"./flows.py:{name}" for name in names})
    bench = make_bench(ws)
    for name in (*names, "managed"):
        assert bench.get_state(bench.run(name, {"n": 0}).id)["n"] == 1
    assert (ws / "used.txt").read_text().split() == ["default-25", "async", "managed", "managed"]
    flows = next(m for m in sys.modules.values() if getattr(m, "__file__", None) == str(ws / "flows.py"))
    assert flows.entered == [True]  # the context manager was entered once, for both of its runs


def test_graph_factories_langgraph_json_does_not_allow_fail_clearly(make_workspace, make_bench) -> None:
    ws = make_workspace(
        {"flows.py": FACTORIES},
        {"two": "./flows.py:two_args", "acm": "./flows.py:managed_async", "raises": "./flows.py:raises",
         "server": "./flows.py:server_only"},
    )
    bench = make_bench(ws)
    with pytest.raises(WorkflowLoadError, match=r"takes 2 arguments \(config, store\)"):
        bench.run("two", {"n": 0})
    with pytest.raises(WorkflowLoadError, match="is an async context manager"):
        bench.run("acm", {"n": 0})
    with pytest.raises(WorkflowLoadError, match="raised RuntimeError: no API key"):
        bench.run("raises", {"n": 0})
    with pytest.raises(WorkflowLoadError, match="takes a ServerRuntime"):
        bench.run("server", {"n": 0})
    assert bench.list_executions() == []
    assert not (ws / "used.txt").exists()


def test_non_serialisable_initial_state_is_refused_before_anything_is_written(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    with pytest.raises(NonSerializableStateError, match="'lock'"):
        bench.run("rag", {"query": "x", "lock": threading.Lock()})
    assert bench.list_executions() == []


def test_a_node_returning_a_non_serialisable_value_fails_clearly(make_workspace, make_bench) -> None:
    ws = make_workspace(
        {
            "flow.py": """
            import threading
            from typing import Any, TypedDict
            from langgraph.graph import StateGraph, START, END

            class S(TypedDict, total=False):
                n: int
                lock: Any

            def ok(state):
                return {"n": 1}

            def bad(state):
                return {"lock": threading.Lock()}

            graph = StateGraph(S)
            graph.add_node("ok", ok)
            graph.add_node("bad", bad)
            graph.add_edge(START, "ok")
            graph.add_edge("ok", "bad")
            graph.add_edge("bad", END)
            """
        },
        {"flow": "./flow.py:graph"},
    )
    bench = make_bench(ws)
    execution = bench.run("flow", {"n": 0})
    assert execution.status is ExecutionStatus.FAILED
    assert execution.error is not None and execution.error.type == "NonSerializableStateError"
    assert "cannot be stored" in execution.error.message
    assert bench.get_state(execution.id)["n"] == 1


def test_bad_config_and_state_types(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    with pytest.raises(InvalidArgumentError):
        bench.run("rag", RAG_INPUT, config=["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(WTBError):
        WTBTestBench.create(workspace=sample_ws / "does-not-exist")


def test_a_state_edit_naming_a_field_the_state_lacks_is_refused_and_changes_nothing(
    sample_ws: Path, make_bench
) -> None:
    """LangGraph's ``update_state`` drops an unknown key silently; a typo must not fork or
    resume a run from the state the user meant to change."""
    bench = make_bench(sample_ws)
    execution = bench.run("rag", RAG_INPUT)
    middle = bench.get_checkpoints(execution.id)[1]
    with pytest.raises(InvalidArgumentError, match=r"'top_kk'.*its fields: answer, doc_count, query"):
        bench.fork(execution.id, middle.id, state_updates={"top_kk": 5})
    assert [e.id for e in bench.list_executions()] == [execution.id]
    bench.rollback(execution.id, middle.id)
    before = (bench.get_execution(execution.id).status, len(bench.get_checkpoints(execution.id)))
    with pytest.raises(InvalidArgumentError, match="'top_kk'"):
        bench.resume(execution.id, state_updates={"top_kk": 5})
    assert (bench.get_execution(execution.id).status, len(bench.get_checkpoints(execution.id))) == before
    state = bench.get_state(execution.id, middle.id)  # read back whole (with _output_files), one field changed
    forked = bench.fork(execution.id, middle.id, state_updates={**state, "top_k": 1})
    assert bench.get_state(forked.id)["top_k"] == 1


VANDAL_WORKFLOW = '''
import shutil
from pathlib import Path
from typing import TypedDict
from langgraph.graph import END, START, StateGraph

class S(TypedDict, total=False):
    n: int

def first(state: S) -> S:
    Path("first.txt").write_text("1")
    return {"n": 1}

def clean_up(state: S) -> S:  # empties the workspace, WTB's data directory with it
    for entry in Path(".").iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
    return {"n": 2}

def after(state: S) -> S:
    Path("after.txt").write_text("3")
    return {"n": 3}

builder = StateGraph(S)
for node in (first, clean_up, after):
    builder.add_node(node.__name__, node)
builder.add_edge(START, "first")
builder.add_edge("first", "clean_up")
builder.add_edge("clean_up", "after")
builder.add_edge("after", END)
graph = builder
'''


@pytest.mark.parametrize("tracking", [True, False])
def test_a_node_that_deletes_the_data_directory_stops_the_run_with_a_clear_error(
    make_workspace, tracking: bool
) -> None:
    """Its databases stay open in the process, so the run would go on and report "completed"
    into files nothing can read: every step of it silently lost."""
    from wtb import FileTrackingConfig
    from wtb.errors import DataDirectoryLostError

    ws = make_workspace({"vandal.py": VANDAL_WORKFLOW}, {"vandal": "./vandal.py:graph"})
    with WTBTestBench.create(workspace=ws, file_tracking=FileTrackingConfig(enabled=tracking)) as bench:
        with pytest.raises(DataDirectoryLostError, match=r"\.wtb was (removed|replaced).*was stopped there"):
            bench.run("vandal", {})
        assert not (ws / "after.txt").exists()  # stopped before its next step
        with pytest.raises(DataDirectoryLostError, match="Open WTB again"):  # and nothing runs any more
            bench.run("vandal", {})
        assert (ws / "first.txt").read_text() == "1" and not (ws / "after.txt").exists()
    with WTBTestBench.create(workspace=ws) as bench:  # a new bench starts a new history there
        assert bench.list_executions() == []
