"""Where lenses go: definitions found in the text, never by importing it."""

from __future__ import annotations

from lsprotocol import types

from wtb.lsp import codelens

SOURCE = """\
from langgraph.graph import StateGraph

builder = StateGraph(dict)
graph: object = builder.compile()

def factory():
    return builder

graph = builder.compile()  # the last binding wins
"""


def test_definition_lines_of_assignments_defs_and_stategraphs() -> None:
    names, graphs = codelens.definition_lines(SOURCE)
    assert names == {"builder": 2, "graph": 8, "factory": 5}
    assert graphs == [("builder", 2)]


def test_a_file_that_does_not_parse_falls_back_to_a_line_scan() -> None:
    names, graphs = codelens.definition_lines(SOURCE + "\ndef broken(:\n")
    assert names["graph"] == 8 and names["factory"] == 5
    assert graphs == [("builder", 2)]


def test_declared_workflows_win_over_undeclared_stategraphs() -> None:
    found = codelens.find_definitions(SOURCE, {"rag": "graph", "other": "factory"}, "flows.py")
    assert [(d.workflow, d.line) for d in found] == [("other", 5), ("rag", 8)]
    assert codelens.find_definitions(SOURCE, {"gone": "missing"}, "flows.py") == []


def test_undeclared_stategraphs_are_named_by_reference() -> None:
    found = codelens.find_definitions(SOURCE, {}, "pkg/flows.py")
    assert [(d.workflow, d.line) for d in found] == [("pkg/flows.py:builder", 2)]


def test_five_lenses_per_definition_resolved_to_commands() -> None:
    lenses = codelens.lenses([codelens.Definition("rag", 4)], "file:///w/rag.py")
    assert [lens.range.start.line for lens in lenses] == [4, 4, 4, 4, 4]
    resolved = [codelens.resolve(lens, 3) for lens in lenses]
    assert [lens.command.title for lens in resolved if lens.command] == [
        "▶ Run",
        "Debug",
        "Fork…",
        "Batch…",
        "History (3 runs)",
    ]
    assert {lens.command.command for lens in resolved if lens.command} == {
        "wtb.run",
        "wtb.debug",
        "wtb.fork",
        "wtb.batch",
        "wtb.history",
    }
    assert all(lens.command and lens.command.arguments == ["rag"] for lens in resolved)
    assert codelens.title("history", 1) == "History (1 run)"
    unknown = types.CodeLens(range=lenses[0].range, data={"kind": "other"})
    assert codelens.resolve(unknown, 0).command is None
