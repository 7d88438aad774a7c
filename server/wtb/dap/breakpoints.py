"""Breakpoints on nodes: a gutter line inside a node function, or a node's name.

The graph knows where each node's function is (``WTBTestBench.get_graph``, which uses
:func:`inspect.getsourcelines` on the node's callable while the graph is loaded); the end
of that function comes from the file's syntax tree. A breakpoint on any line of it stands
for "pause before this node": the nodes with breakpoints become the run's
``PauseStrategyConfig.before``, and the adapter checks conditions and hit counts when the
run pauses there (pause strategies and breakpoints are one mechanism).
"""

from __future__ import annotations

import ast
import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what WTBTestBench.get_graph returns; the adapter reads only its fields
    from wtb.engine.graph_info import GraphInfo

_HIT = re.compile(r"^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$")


@dataclass(frozen=True)
class NodeSource:
    """Where a node's function is: its file and its lines (decorators included).

    ``within``: the function is a node of the subgraph that ``node`` runs; a breakpoint in it
    pauses before ``node`` (LangGraph's pause points do not reach inside a subgraph).
    """

    node: str
    file: str
    line: int
    first: int
    last: int
    within: bool = False


@dataclass
class Breakpoint:
    id: int
    source: str | None
    line: int | None
    function: str | None = None
    condition: str | None = None
    hit_condition: str | None = None
    nodes: tuple[str, ...] = ()
    message: str | None = None
    hits: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return bool(self.nodes)

    def to_dap(self) -> dict[str, Any]:
        found: dict[str, Any] = {"id": self.id, "verified": self.verified}
        if self.line is not None:
            found["line"] = self.line
        if self.source is not None:
            found["source"] = {"path": self.source, "name": os.path.basename(self.source)}
        if self.message:
            found["message"] = self.message
        return found


def same_path(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def node_sources(graph: GraphInfo) -> list[NodeSource]:
    """Each node whose function has a source file, with the lines that function spans."""
    trees: dict[str, ast.Module | None] = {}
    found = []
    for node in graph.nodes:
        functions = [(node.file, node.line, False)] + [(file, line, True) for file, line in node.inner]
        for file, line, within in functions:
            if not file or not line:
                continue
            path = same_path(file)
            if path not in trees:
                trees[path] = _parse(path)
            first, last = _extent(trees[path], line)
            found.append(NodeSource(node.id, path, line, first, last, within))
    return found


def _parse(path: str) -> ast.Module | None:
    try:
        return ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None


def _extent(tree: ast.Module | None, line: int) -> tuple[int, int]:
    """The lines of the function whose ``def`` (or first decorator) is on ``line``."""
    if tree is not None:
        for item in ast.walk(tree):
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([item.lineno, *(d.lineno for d in item.decorator_list)])
                if line in (item.lineno, first):
                    return first, item.end_lineno or item.lineno
    return line, line


def definition_line(file: str, name: str) -> int:
    """The line that binds ``name`` at the top of a module (the graph's variable), else 1."""
    tree = _parse(file)
    for item in tree.body if tree else []:
        targets: list[ast.expr] = []
        if isinstance(item, ast.Assign):
            targets = item.targets
        elif isinstance(item, (ast.AnnAssign, ast.AugAssign)):
            targets = [item.target]
        elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == name:
            return item.lineno
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return item.lineno
    return 1


def hit_condition_holds(condition: str | None, hits: int) -> bool:
    """``"3"`` or ``"== 3"``: the third hit; ``">= 3"``, ``"> 3"``, ``"< 3"``, ``"<= 3"``; ``"% 3"``: every third."""
    if not condition or not condition.strip():
        return True
    match = _HIT.match(condition)
    if match is None:
        raise ValueError(f"hit count {condition!r} is not N, ==N, >=N, >N, <N, <=N or %N")
    op, number = match.group(1) or "==", int(match.group(2))
    if op == "%":
        return number > 0 and hits % number == 0
    return {"==": hits == number, ">=": hits >= number, "<=": hits <= number, ">": hits > number,
            "<": hits < number}[op]


Evaluate = Callable[[str], Any]


class Breakpoints:
    """The session's breakpoints, resolved to nodes once the graph is known."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._sources: dict[str, list[Breakpoint]] = {}
        self._functions: list[Breakpoint] = []
        self._nodes: list[NodeSource] = []
        self._names: set[str] = set()
        self._loaded = False

    @property
    def nodes(self) -> list[NodeSource]:
        return list(self._nodes)

    def load(self, graph: GraphInfo) -> list[Breakpoint]:
        """Learn where the nodes are; returns every breakpoint (their verification may have changed)."""
        self._nodes = node_sources(graph)
        self._names = {n.id for n in graph.nodes if n.id not in ("__start__", "__end__")}
        self._loaded = True
        for bp in self.all():
            self._resolve(bp)
        return self.all()

    def all(self) -> list[Breakpoint]:
        return [bp for bps in self._sources.values() for bp in bps] + self._functions

    def set_source(self, path: str, specs: Sequence[dict[str, Any]]) -> list[Breakpoint]:
        key = same_path(path)
        old = {bp.line: bp for bp in self._sources.get(key, [])}
        made = []
        for spec in specs:
            line = int(spec["line"])
            previous = old.get(line)
            bp = Breakpoint(previous.id if previous else next(self._ids), path, line,
                            condition=spec.get("condition") or None, hit_condition=spec.get("hitCondition") or None)
            if previous and (previous.condition, previous.hit_condition) == (bp.condition, bp.hit_condition):
                bp.hits = previous.hits
            self._resolve(bp)
            made.append(bp)
        self._sources[key] = made
        return made

    def set_functions(self, specs: Sequence[dict[str, Any]]) -> list[Breakpoint]:
        self._functions = []
        for spec in specs:
            bp = Breakpoint(next(self._ids), None, None, function=str(spec["name"]),
                            condition=spec.get("condition") or None, hit_condition=spec.get("hitCondition") or None)
            self._resolve(bp)
            self._functions.append(bp)
        return list(self._functions)

    def _resolve(self, bp: Breakpoint) -> None:
        if not self._loaded:
            bp.nodes, bp.message = (), "The workflow is not loaded yet."
        elif bp.function is not None:
            known = bp.function in self._names
            bp.nodes = (bp.function,) if known else ()
            bp.message = None if known else f"No node named {bp.function!r} in this workflow."
        else:
            assert bp.source is not None and bp.line is not None
            around = self._sources_at(same_path(bp.source), bp.line)
            bp.nodes = tuple(dict.fromkeys(n.node for n in around))
            bp.message = None if bp.nodes else (
                "Not inside a node function of this workflow: WTB pauses before nodes, so put the breakpoint on "
                "a line of a node's function (its def line or any line in it)."
            )
            if around and all(n.within for n in around):
                bp.message = (f"Inside the subgraph run by {', '.join(bp.nodes)}: WTB pauses before "
                              f"{'that node' if len(bp.nodes) == 1 else 'those nodes'}, not inside the subgraph.")
        if bp.hit_condition:
            try:
                hit_condition_holds(bp.hit_condition, 0)
            except ValueError as exc:
                bp.nodes, bp.message = (), str(exc)

    def _sources_at(self, path: str, line: int) -> list[NodeSource]:
        around = [n for n in self._nodes if n.file == path and n.first <= line <= n.last]
        if not around:
            return []
        inner = min(n.last - n.first for n in around)  # a node function nested in another: the inner one
        return [n for n in around if n.last - n.first == inner]

    def pause_nodes(self) -> list[str]:
        """The nodes a run pauses before (``PauseStrategyConfig.before``)."""
        return sorted({node for bp in self.all() for node in bp.nodes})

    def hit(
        self, next_nodes: Iterable[str], evaluate: Evaluate, count: bool = True
    ) -> tuple[list[Breakpoint], list[str]]:
        """The breakpoints that stop a run about to run ``next_nodes``, and notes on conditions that raised.

        A condition that raises stops the run (the note says why), as a debugger would rather
        than silently running past. With ``count`` the hits are counted (a live run; a
        reverse search only looks).
        """
        upcoming = set(next_nodes)
        stopping: list[Breakpoint] = []
        notes: list[str] = []
        for bp in self.all():
            if not upcoming.intersection(bp.nodes):
                continue
            if bp.condition:
                try:
                    if not evaluate(bp.condition):
                        continue
                except Exception as exc:
                    notes.append(f"Breakpoint condition {bp.condition!r} raised {type(exc).__name__}: {exc}")
                    stopping.append(bp)
                    continue
            hits = bp.hits + 1
            if count:
                bp.hits = hits
            if hit_condition_holds(bp.hit_condition, hits):
                stopping.append(bp)
        return stopping, notes
