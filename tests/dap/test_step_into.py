"""Step Into: a child Python debug session (debugpy) on the process that runs the node.

The test plays the editor: it answers the adapter's ``startDebugging`` request by attaching
a second DAP client to debugpy, sends the red dot inside the node (as VS Code forwards the
Python breakpoints to the child session), and steps through the node's own lines.
"""

from __future__ import annotations

import socket
from pathlib import Path

from tests.dap.client import WAIT_S, DapClient, DapConnection
from tests.dap.conftest import REVISER_INPUT, line_of


def test_step_into_reaches_a_line_inside_the_node_then_the_graph_stops_after_it(sample_ws: Path, dap) -> None:
    client: DapClient = dap(sample_ws)
    source = sample_ws / "reviser.py"
    inside = line_of(source, 'word = state["missing"][0]')
    client.start({"workflow": "reviser", "workspace": str(sample_ws), "input": REVISER_INPUT},
                 {str(source): [{"line": inside}]}, child_sessions=True)
    stopped = client.wait_event("stopped")
    assert client.stopped_frame(stopped)["name"] == "revise"

    client.request("stepIn", {"threadId": stopped["threadId"]})
    asked = client.reverse.get(timeout=WAIT_S)
    assert asked["command"] == "startDebugging" and asked["arguments"]["request"] == "attach"
    configuration = asked["arguments"]["configuration"]
    assert configuration["type"] == "debugpy" and configuration["name"] == "revise (Python)"

    connect = configuration["connect"]
    with socket.create_connection((connect["host"], connect["port"]), timeout=WAIT_S) as sock:
        stream = sock.makefile("rwb", buffering=0)
        python = DapConnection(stream, stream)
        python.request("initialize", {"adapterID": "debugpy", "linesStartAt1": True, "pathFormat": "path"})
        attached = python.send("attach", {"justMyCode": True})
        python.wait_event("initialized")
        python.request("setBreakpoints", {"source": {"path": str(source)}, "breakpoints": [{"line": inside}]})
        python.request("configurationDone")
        assert python.response(attached)["success"]

        hit = python.wait_event("stopped")
        [top, *_] = python.request("stackTrace", {"threadId": hit["threadId"]})["stackFrames"]
        assert top["name"] == "revise" and top["line"] == inside
        assert Path(top["source"]["path"]).resolve() == source.resolve()
        python.request("next", {"threadId": hit["threadId"]})
        hit = python.wait_event("stopped")
        [top, *_] = python.request("stackTrace", {"threadId": hit["threadId"]})["stackFrames"]
        assert top["line"] == inside + 1
        word = python.request("evaluate", {"expression": "word", "frameId": top["id"], "context": "watch"})
        assert word["result"] == "'actors'"
        python.request("continue", {"threadId": hit["threadId"]})

        # the node returned: back at the graph level, stopped after the step
        stopped = client.wait_event("stopped")
        assert stopped["reason"] == "step"
        assert client.stopped_frame(stopped)["name"] == "review"
        assert "covers actors" in (sample_ws / "drafts" / "draft.md").read_text()
    client.request("setBreakpoints", {"source": {"path": str(source)}, "breakpoints": []})
    client.request("continue")
    assert client.wait_event("exited")["exitCode"] == 0


def test_step_into_without_child_sessions_steps_over(sample_ws: Path, dap) -> None:
    client: DapClient = dap(sample_ws)
    source = sample_ws / "reviser.py"
    client.start({"workflow": "reviser", "workspace": str(sample_ws), "input": REVISER_INPUT},
                 {str(source): [{"line": line_of(source, "def revise(")}]})
    stopped = client.wait_event("stopped")
    client.request("stepIn", {"threadId": stopped["threadId"]})
    stopped = client.wait_event("stopped")
    assert stopped["reason"] == "step" and client.stopped_frame(stopped)["name"] == "review"
    assert "child debug sessions" in client.output()


def test_step_into_refused_by_the_editor_stands_still(sample_ws: Path, dap) -> None:
    client: DapClient = dap(sample_ws)
    client.accept_reverse = False
    source = sample_ws / "reviser.py"
    client.start({"workflow": "reviser", "workspace": str(sample_ws), "input": REVISER_INPUT},
                 {str(source): [{"line": line_of(source, "def revise(")}]}, child_sessions=True)
    stopped = client.wait_event("stopped")
    before = client.stopped_frame(stopped)
    client.request("stepIn", {"threadId": stopped["threadId"]})
    assert client.reverse.get(timeout=WAIT_S)["command"] == "startDebugging"
    stopped = client.wait_event("stopped")
    assert client.stopped_frame(stopped)["name"] == before["name"] == "revise"
    assert "could not start a 'debugpy' session" in client.output()
    assert (sample_ws / "drafts" / "draft.md").read_text() == "# Ray\n"  # revise did not run
