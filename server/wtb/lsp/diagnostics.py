"""A workflow file that fails to load, as a diagnostic on the failing line.

Loading a workflow (describing its graph, starting a run) imports its module in a worker;
when that raises, the worker's error carries the Python traceback as text. The frame that
failed is the last one inside the workspace (the workflow file, or a module of the workspace
it imports), so the diagnostic goes there with the error's own message
(``SyntaxError: invalid syntax``), in the Problems view and as a squiggle. It stays until the
workflow loads again: a later ``wtb/getGraph`` or run that gets past loading, or a save of
the file, after which the daemon describes the workflow again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer

logger = logging.getLogger(__name__)

SOURCE = "WTB"
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)', re.MULTILINE)
#: the line that names an exception: ``NameError: name 'x' is not defined``, ``SyntaxError: …``
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))(?::\s*(?P<text>.*))?$")
_SKIP_PARTS = frozenset({"site-packages", "dist-packages", ".venv", "venv", "node_modules"})


@dataclass(frozen=True)
class LoadProblem:
    """Where a workflow's module failed to load (``line`` 0-based) and why."""

    path: Path
    line: int
    message: str


def _inside(path: Path, workspace: Path) -> bool:
    try:
        relative = path.resolve().relative_to(workspace.resolve())
    except (OSError, ValueError):
        return False
    return not _SKIP_PARTS.intersection(relative.parts)


def load_problem(text: str, workspace: Path) -> LoadProblem | None:
    """The failing frame inside the workspace in a worker's load error, or None if there is none."""
    frames = [m for m in _FRAME.finditer(text) if _inside(Path(m["file"]), workspace)]
    if not frames:
        return None
    last = frames[-1]
    message = ""
    for line in text[last.end():].splitlines():
        found = _EXCEPTION.match(line)
        if found:
            message = f"{found['type']}: {found['text']}" if found["text"] else found["type"]
            break
    if not message:
        message = text.strip().splitlines()[0] if text.strip() else "the workflow failed to load"
    return LoadProblem(Path(last["file"]).resolve(), max(0, int(last["line"]) - 1), message)


def _range(problem: LoadProblem) -> types.Range:
    """The failing line, from its first non-blank character to its end."""
    try:
        text = problem.path.read_text(encoding="utf-8", errors="replace").splitlines()[problem.line]
    except (OSError, IndexError):
        text = ""
    start = len(text) - len(text.lstrip())
    end = max(len(text), start + 1)
    return types.Range(types.Position(problem.line, start), types.Position(problem.line, end))


class LoadDiagnostics:
    """The load problems the daemon has published, per workflow; republished per file."""

    def __init__(self, ls: WtbLanguageServer) -> None:
        self._ls = ls
        self._problems: dict[str, LoadProblem] = {}

    def report(self, workflow: str, text: str) -> LoadProblem | None:
        """A load error of ``workflow`` (the worker's message and traceback): publish it."""
        workspace = self._ls.bench_host.workspace
        problem = load_problem(text, workspace) if workspace is not None else None
        if problem is None:
            return None
        previous = self._problems.get(workflow)
        self._problems[workflow] = problem
        self._publish(problem.path)
        if previous is not None and previous.path != problem.path:
            self._publish(previous.path)
        return problem

    def clear(self, workflow: str) -> None:
        """``workflow`` loaded: take its problem down."""
        problem = self._problems.pop(workflow, None)
        if problem is not None:
            self._publish(problem.path)

    def workflows_in(self, path: Path) -> list[str]:
        """The workflows whose problem is in this file (a save of it is worth a new look)."""
        resolved = path.resolve()
        return [w for w, problem in self._problems.items() if problem.path == resolved]

    def _publish(self, path: Path) -> None:
        diagnostics = [
            types.Diagnostic(
                range=_range(problem),
                message=f"{problem.message} (while loading workflow {workflow!r})",
                severity=types.DiagnosticSeverity.Error,
                source=SOURCE,
            )
            for workflow, problem in sorted(self._problems.items())
            if problem.path == path
        ]
        try:
            self._ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=path.as_uri(), diagnostics=diagnostics)
            )
        except Exception as exc:  # the client went away: nothing to show it on
            logger.debug("publishing diagnostics for %s: %s", path, exc)
