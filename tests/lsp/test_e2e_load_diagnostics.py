"""End to end: a workflow that fails to load gets a diagnostic on its failing line, from the real daemon.

The diagnostic names the error as Python raised it and sits on the line of the last frame
inside the workspace (the workflow file, or a workspace module it imports); it goes away when
the workflow loads again (here: the file fixed and saved).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import WAIT_S, Daemon, StartDaemon

WORKFLOW_LOAD = 1006
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS

GOOD = '''from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    n: int


graph = StateGraph(S)
graph.add_node("inc", lambda s: {"n": s.get("n", 0) + 1})
graph.add_edge(START, "inc")
graph.add_edge("inc", END)
'''


@pytest.fixture
def broken_ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "langgraph.json").write_text('{"graphs": {"broken": "./broken.py:graph", "imports": "./imports.py:graph"}}')
    (ws / "broken.py").write_text("from langgraph.graph import StateGraph\n\n    def f(:\n    pass\n")
    (ws / "helper.py").write_text("import os\n\nVALUE = 1\nLIMIT = undefined_name + VALUE\n")
    (ws / "imports.py").write_text("import helper\n\ngraph = None\n")
    return ws


async def published(daemon: Daemon, action: Callable[[], Any], uri: str) -> list[types.Diagnostic]:
    """The diagnostics of the next ``textDocument/publishDiagnostics`` for ``uri`` after ``action``."""
    seen: list[types.PublishDiagnosticsParams] = []

    async def collect() -> list[types.Diagnostic]:
        while True:
            params: types.PublishDiagnosticsParams = await daemon.client.wait_for_notification(PUBLISH)
            seen.append(params)
            if params.uri == uri:
                return list(params.diagnostics)

    waiter = asyncio.ensure_future(collect())
    await asyncio.sleep(0)
    with contextlib.suppress(JsonRpcException):
        await action()
    try:
        return await asyncio.wait_for(waiter, WAIT_S)
    except TimeoutError:
        raise AssertionError(f"no diagnostics for {uri}; got {seen}") from None


async def test_a_workflow_that_fails_to_load_marks_its_failing_line_until_it_loads(
    start_daemon: StartDaemon, broken_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(broken_ws, **no_tracking)
    broken = (broken_ws / "broken.py").as_uri()

    # Describing the graph imports the file: a syntax error on line 3 (0-based 2).
    with pytest.raises(JsonRpcException) as info:
        await daemon.request("wtb/getGraph", {"workflow": "broken"})
    assert info.value.code == WORKFLOW_LOAD
    [diagnostic] = await published(daemon, lambda: daemon.request("wtb/getGraph", {"workflow": "broken"}), broken)
    assert diagnostic.range.start.line == 2
    assert diagnostic.range.start.character == 4  # the line's text, not its indentation
    assert diagnostic.message.startswith("IndentationError: unexpected indent"), diagnostic.message
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.source == "WTB"
    assert "Traceback" not in diagnostic.message and "importlib" not in diagnostic.message

    # A run of a workflow whose module imports a broken workspace module: the mark goes on that module's line.
    helper = (broken_ws / "helper.py").as_uri()

    async def run() -> None:
        started = await daemon.request("wtb/run", {"workflow": "imports"})
        final = await daemon.wait_final(started["execution"]["id"])
        assert final["status"] == "failed"

    [diagnostic] = await published(daemon, run, helper)
    assert diagnostic.range.start.line == 3
    assert diagnostic.message.startswith("NameError: name 'undefined_name' is not defined"), diagnostic.message

    # Fixed and saved: described again, the diagnostic is taken down.
    (broken_ws / "broken.py").write_text(GOOD)

    async def save() -> None:
        daemon.client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=broken)))

    assert await published(daemon, save, broken) == []
    graph = await daemon.request("wtb/getGraph", {"workflow": "broken"})
    assert {n["id"] for n in graph["nodes"]} >= {"inc"}
