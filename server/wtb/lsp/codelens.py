"""CodeLens on workflow definitions: "▶ Run", "Debug", "Fork…", "Batch…", "History (N runs)".

Where a workflow is defined is found from the document's text, never by importing it:
the attribute named by a ``langgraph.json`` / ``[tool.wtb.workflows]`` reference (its
last module-level assignment, or its ``def`` for a factory), and, in files that declare
no workflow, every module-level ``name = StateGraph(...)`` (such a workflow is named by
its reference, ``path/file.py:name``). Lenses are computed from the open document's
current text, so they follow edits; a file that does not parse falls back to a line scan.

As in pygls' ``code_lens`` example, lenses go out without a command and carry ``data``;
``codeLens/resolve`` attaches the command (and the run count, which needs the bench).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Final

from lsprotocol import types

from wtb.lsp import protocol as p

KINDS: Final = ("run", "debug", "fork", "batch", "history")
COMMAND_OF: Final = {
    "run": p.CMD_RUN, "debug": p.CMD_DEBUG, "fork": p.CMD_FORK, "batch": p.CMD_BATCH, "history": p.CMD_HISTORY,
}

_ASSIGN_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)")
_DEF_RE = re.compile(r"^(?:async\s+)?def\s+(?P<name>[A-Za-z_]\w*)\s*\(")
_STATEGRAPH_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*(?::[^=]*)?=\s*(?:[\w.]+\.)?StateGraph\s*\(")


@dataclass(frozen=True)
class Definition:
    workflow: str
    line: int  # 0-based


def definition_lines(source: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Module-level names → 0-based line of their last definition, and ``StateGraph(...)`` assignments."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return _scan_lines(source)
    names: dict[str, int] = {}
    graphs: list[tuple[str, int]] = []
    for stmt in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = list(stmt.targets), stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[stmt.name] = stmt.lineno - 1
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                names[target.id] = stmt.lineno - 1
                if value is not None and _is_stategraph_call(value):
                    graphs.append((target.id, stmt.lineno - 1))
    return names, graphs


def _is_stategraph_call(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name == "StateGraph"


def _scan_lines(source: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    names: dict[str, int] = {}
    graphs: list[tuple[str, int]] = []
    for index, line in enumerate(source.splitlines()):
        if match := _DEF_RE.match(line) or _ASSIGN_RE.match(line):
            names[match.group("name")] = index
        if match := _STATEGRAPH_RE.match(line):
            graphs.append((match.group("name"), index))
    return names, graphs


def find_definitions(source: str, declared: dict[str, str], relpath: str) -> list[Definition]:
    """Workflows defined in one file.

    ``declared`` maps workflow name → attribute for the workflows whose reference points
    at this file; ``relpath`` is the file's workspace-relative path (names undeclared graphs).
    """
    names, graphs = definition_lines(source)
    found = [Definition(workflow, names[attr]) for workflow, attr in declared.items() if attr in names]
    if not declared:
        found = [Definition(f"{relpath}:{name}", line) for name, line in graphs]
    return sorted(found, key=lambda d: (d.line, d.workflow))


def lenses(definitions: list[Definition], uri: str) -> list[types.CodeLens]:
    """Five unresolved lenses per definition, on its line."""
    out: list[types.CodeLens] = []
    for definition in definitions:
        where = types.Range(
            start=types.Position(line=definition.line, character=0),
            end=types.Position(line=definition.line, character=0),
        )
        out.extend(
            types.CodeLens(range=where, data={"workflow": definition.workflow, "kind": kind, "uri": uri})
            for kind in KINDS
        )
    return out


def title(kind: str, run_count: int | None) -> str:
    if kind == "run":
        return "▶ Run"
    if kind == "debug":
        return "Debug"
    if kind == "fork":
        return "Fork…"
    if kind == "batch":
        return "Batch…"
    if run_count is None:
        return "History"
    return f"History ({run_count} run{'' if run_count == 1 else 's'})"


def resolve(lens: types.CodeLens, run_count: int | None) -> types.CodeLens:
    data: Any = lens.data or {}
    kind = str(data.get("kind", "")) if isinstance(data, dict) else ""
    workflow = str(data.get("workflow", "")) if isinstance(data, dict) else ""
    if kind not in COMMAND_OF:
        return lens
    lens.command = types.Command(title=title(kind, run_count), command=COMMAND_OF[kind], arguments=[workflow])
    return lens
