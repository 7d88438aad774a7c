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
