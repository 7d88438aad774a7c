"""Workflow discovery from langgraph.json and [tool.wtb.workflows] (issue 2)."""

from __future__ import annotations

import pytest

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
