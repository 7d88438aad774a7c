"""Workflow discovery from langgraph.json and [tool.wtb.workflows] (issue 2)."""

from __future__ import annotations

import operator
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from tests.conftest import LINEAR_WORKFLOW
from wtb.errors import WorkflowLoadError


def test_discovery_from_langgraph_json_and_pyproject(make_workspace, make_bench) -> None:
    ws = make_workspace(
        {
            "flows/linear.py": LINEAR_WORKFLOW,
            "pyproject.toml": """
            [project]
            name = "demo"

            [tool.wtb.workflows]
            from_toml = "flows/linear.py:graph"
            table_form = { graph = "flows/linear.py:build" }
            """,
        },
        {"from_json": "./flows/linear.py:graph"},
    )
    bench = make_bench(ws)
    projects = {p.name: p for p in bench.list_projects()}
    assert sorted(projects) == ["from_json", "from_toml", "table_form"]
    assert projects["from_json"].source == ws / "langgraph.json"
    assert projects["from_toml"].reference == "flows/linear.py:graph"
    for name in projects:
        assert bench.get_state(bench.run(name, {"n": 0}).id)["n"] == 3


_PACKAGED_GRAPH = """
    from typing import TypedDict
    from langgraph.graph import END, START, StateGraph
    {imports}

    class State(TypedDict):
        n: int

    def step(state: State) -> State:
        with open("{out}", "w") as f:
            f.write(str(bump(state["n"])))
        return {{"n": bump(state["n"])}}

    builder = StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_edge("step", END)
    graph = builder.compile()
"""


def test_a_workflow_inside_a_package_imports_its_siblings_relatively_and_absolutely(
    make_workspace, make_bench
) -> None:
    """The layout ``langgraph new`` makes (``src/agent/graph.py``, the package not installed),
    and a package at the workspace's top: relative and absolute imports both work."""
    ws = make_workspace(
        {
            "src/agent/__init__.py": "",
            "src/agent/tools.py": "def bump(n: int) -> int:\n    return n + 1\n",
            "src/agent/relative.py": _PACKAGED_GRAPH.format(imports="from .tools import bump", out="rel.txt"),
            "src/agent/absolute.py": _PACKAGED_GRAPH.format(imports="from agent.tools import bump", out="abs.txt"),
            "top/__init__.py": "",
            "top/inner/__init__.py": "",
            "top/inner/helpers.py": "def bump(n: int) -> int:\n    return n + 10\n",
            "top/inner/flow.py": _PACKAGED_GRAPH.format(imports="from ..inner.helpers import bump", out="top.txt"),
        },
        {
            "relative": "./src/agent/relative.py:graph",
            "absolute": "./src/agent/absolute.py:graph",
            "nested": "./top/inner/flow.py:graph",
        },
    )
    bench = make_bench(ws)
    assert bench.run("relative", {"n": 1}).state["n"] == 2
    assert bench.run("absolute", {"n": 2}).state["n"] == 3
    assert bench.run("nested", {"n": 1}).state["n"] == 11
    assert [(ws / f).read_text() for f in ("rel.txt", "abs.txt", "top.txt")] == ["2", "3", "11"]


def test_a_workflow_named_by_its_module_is_found_in_the_workspace_or_its_src(make_workspace, make_bench) -> None:
    """``langgraph.json`` may name a graph by module (``"agent.graph:graph"``), as the LangGraph CLI allows."""
    ws = make_workspace(
        {
            "src/agent/__init__.py": "",
            "src/agent/tools.py": "def bump(n: int) -> int:\n    return n + 1\n",
            "src/agent/graph.py": _PACKAGED_GRAPH.format(imports="from .tools import bump", out="src.txt"),
            "flows/__init__.py": "",
            "flows/tools.py": "def bump(n: int) -> int:\n    return n + 5\n",
            "flows/main.py": _PACKAGED_GRAPH.format(imports="from flows.tools import bump", out="top.txt"),
        },
        {"src": "agent.graph:graph", "top": "flows.main:graph", "missing": "agent.nowhere:graph"},
    )
    bench = make_bench(ws)
    assert bench.run("src", {"n": 1}).state["n"] == 2
    assert bench.run("top", {"n": 1}).state["n"] == 6
    with pytest.raises(WorkflowLoadError, match=r"'agent\.nowhere'.*agent/nowhere\.py.*src/agent/nowhere\.py"):
        bench.run("missing", {"n": 1})
    assert bench.list_executions() != [] and {e.project for e in bench.list_executions()} == {"src", "top"}


def test_broken_langgraph_json_is_a_clear_error(make_workspace, make_bench) -> None:
    ws = make_workspace({"langgraph.json": "{not json"})
    bench = make_bench(ws)
    with pytest.raises(WorkflowLoadError, match=r"langgraph\.json is not valid JSON"):
        bench.list_projects()


def test_graph_info_has_nodes_edges_and_source_lines(sample_ws, make_bench) -> None:
    bench = make_bench(sample_ws)
    info = bench.get_graph("reviser")
    ids = [n.id for n in info.nodes]
    assert ids == ["__start__", "write_draft", "review", "revise", "__end__"]
    review = next(n for n in info.nodes if n.id == "review")
    lines = (sample_ws / "reviser.py").read_text().splitlines()
    assert review.file and review.file.endswith("reviser.py")
    assert lines[review.line - 1].startswith("def review(")
    assert any(e.source == "review" and e.target == "revise" and e.conditional for e in info.edges)


def test_graph_info_has_langgraphs_input_and_state_schemas(sample_ws, make_bench) -> None:
    """A ``typing.TypedDict`` state (pydantic refuses it before Python 3.12) is described from
    its hints: the editor checks a run's input and a state edit against these."""
    info = make_bench(sample_ws).get_graph("reviser")
    assert info.input_schema is not None and info.state_schema is not None
    types = {key: spec.get("type") for key, spec in info.state_schema["properties"].items()}
    assert types == {"topic": "string", "checklist": "array", "missing": "array", "rounds": "integer",
                     "max_rounds": "integer", "approved": "boolean"}
    assert info.input_schema["properties"].keys() == info.state_schema["properties"].keys()


class Question(BaseModel):
    question: str
    mode: Literal["short", "long"] = "short"


class Answer(TypedDict):
    answer: str
    score: float | None


class Everything(TypedDict, total=False):
    question: str
    mode: str
    answer: str
    score: float | None
    notes: Annotated[list[str], operator.add]


def test_separate_input_and_output_schemas_make_the_state_schema(tmp_path, make_bench) -> None:
    from langgraph.graph import END, START, StateGraph

    from wtb import WorkflowProject

    def reply(state: Everything) -> dict[str, object]:
        return {"answer": state["question"].upper(), "score": 1.0}

    graph = StateGraph(Everything, input_schema=Question, output_schema=Answer)
    graph.add_node("reply", reply)
    graph.add_edge(START, "reply")
    graph.add_edge("reply", END)
    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="qa", graph=graph))
    info = bench.get_graph("qa")
    assert info.input_schema is not None and info.state_schema is not None
    assert set(info.input_schema["properties"]) == {"question", "mode"}
    assert info.input_schema["required"] == ["question"]
    assert info.input_schema["properties"]["mode"]["enum"] == ["short", "long"]
    assert set(info.state_schema["properties"]) == {"question", "mode", "answer", "score"}
    assert bench.get_state(bench.run("qa", {"question": "why"}).id)["answer"] == "WHY"


def test_an_entrypoint_of_a_plain_value_has_no_object_schema(tmp_path, make_bench) -> None:
    from langgraph.func import entrypoint

    from wtb import WorkflowProject

    @entrypoint()
    def double(number: int) -> int:
        return number * 2

    bench = make_bench(tmp_path)
    bench.register_project(WorkflowProject(name="double", graph=double))
    info = bench.get_graph("double")
    assert info.input_schema is None and info.state_schema is None


def test_local_dependencies_of_langgraph_json_are_importable(make_workspace, make_bench) -> None:
    """``"dependencies": ["./src"]`` with ``src/helpers/`` a folder without ``__init__.py``: the
    workflow's ``from helpers.labels import ...`` works, as under ``langgraph dev``."""
    graph_file = LINEAR_WORKFLOW.replace(
        "def make_step(i):", "from helpers_of_deps.labels import label\n\ndef make_step(i):"
    ).replace('f"{i},"', "label(i)")
    ws = make_workspace({
        "src/app/graph.py": graph_file,
        "src/helpers_of_deps/labels.py": "def label(i):\n    return f'<{i}>'\n",
    })
    (ws / "langgraph.json").write_text('{"graphs": {"agent": "./src/app/graph.py:graph"}}')
    with pytest.raises(WorkflowLoadError, match="No module named 'helpers_of_deps'"):
        make_bench(ws).run("agent", {"n": 0})
    (ws / "langgraph.json").write_text(
        '{"dependencies": ["langchain_openai", "./src"], "graphs": {"agent": "./src/app/graph.py:graph"}}'
    )
    bench = make_bench(ws)
    assert bench.get_state(bench.run("agent", {"n": 0}).id)["log"] == "<0><1><2>"


_SIBLING_GRAPH = """
from typing import TypedDict
from langgraph.graph import END, START, StateGraph
from tools import label

class S(TypedDict, total=False):
    out: str

def node(state: S) -> S:
    return {"out": label()}

builder = StateGraph(S)
builder.add_node("node", node)
builder.add_edge(START, "node")
builder.add_edge("node", END)
graph = builder
"""


def test_a_changed_sibling_module_is_imported_afresh_in_a_long_lived_process(make_workspace, make_bench) -> None:
    """A notebook or a test session keeps one process: editing ``tools.py`` beside the workflow
    must change what the next run does, as ``langgraph dev`` reloads; and another workspace's
    ``tools.py`` must not stand in for this one's."""
    import os

    ws = make_workspace({"graph.py": _SIBLING_GRAPH, "tools.py": "def label():\n    return 'one'\n"},
                        {"g": "./graph.py:graph"})
    other = make_workspace({"graph.py": _SIBLING_GRAPH, "tools.py": "def label():\n    return 'other'\n"},
                           {"g": "./graph.py:graph"}, name="other")
    bench = make_bench(ws)
    assert bench.run("g", {}).state == {"out": "one"}
    (ws / "tools.py").write_text("def label():\n    return 'two'\n")
    later = os.stat(ws / "tools.py").st_mtime_ns + 1_000_000_000  # a coarse clock must not hide the edit
    os.utime(ws / "tools.py", ns=(later, later))
    assert bench.run("g", {}).state == {"out": "two"}
    assert bench.run("g", {}).state == {"out": "two"}
    assert make_bench(other).run("g", {}).state == {"out": "other"}
    assert bench.run("g", {}).state == {"out": "two"}
