"""The CLI: a thin face of the SDK, JSON for scripts, one-line errors (issue 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def wtb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wtb", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def wtb_json(*args: str) -> Any:
    result = wtb(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_run_checkpoints_state_projects_as_json(sample_ws: Path) -> None:
    ws = ("--workspace", str(sample_ws))
    projects = wtb_json("projects", *ws)
    assert [p["name"] for p in projects] == ["rag", "reviser"]
    execution = wtb_json("run", "rag", "--input", f"@{sample_ws / 'inputs.json'}", *ws)
    assert execution["status"] == "completed"
    assert execution["thread_id"] == f"wtb-{execution['id']}"
    checkpoints = wtb_json("checkpoints", execution["id"], *ws)
    assert [c["step"] for c in checkpoints] == [3, 2, 1, 0, -1]
    state = wtb_json("state", execution["id"], checkpoints[1]["id"], *ws)
    assert state["retrieved"] == ["revenue.txt", "langgraph.txt"] and "answer" not in state
    executions = wtb_json("executions", *ws)
    assert [e["id"] for e in executions] == [execution["id"]]
    table = wtb("checkpoints", execution["id"], *ws)
    assert table.returncode == 0 and "rag_generate" in table.stdout.splitlines()[1]


def test_bad_input_exits_non_zero_with_one_line(sample_ws: Path) -> None:
    ws = ("--workspace", str(sample_ws))
    for args, message in [
        (("run", "nope", *ws), "No workflow named 'nope'"),
        (("run", "rag", "--input", "{oops", *ws), "not valid JSON"),
        (("checkpoints", "feedbeef", *ws), "No execution 'feedbeef'"),
        (("state", "feedbeef", *ws), "No execution"),
    ]:
        result = wtb(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and message in result.stderr


def test_failed_run_exits_1(make_workspace) -> None:
    ws = make_workspace(
        {"f.py": "from typing import TypedDict\nfrom langgraph.graph import StateGraph, START\n"
         "class S(TypedDict):\n    x: int\n"
         "def boom(s):\n    raise ValueError('nope')\n"
         "graph = StateGraph(S)\ngraph.add_node('boom', boom)\ngraph.add_edge(START, 'boom')\n"},
        {"f": "./f.py:graph"},
    )
    result = wtb("run", "f", "--input", '{"x": 1}', "--workspace", str(ws), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["node"] == "boom"


def test_doctor_names_versions_and_the_watchers_mode_with_its_round_trip(sample_ws: Path) -> None:
    fresh = wtb_json("doctor", "--workspace", str(sample_ws))
    assert fresh["data_dir_bytes"] == 0 and "no data directory yet" in " ".join(fresh["problems"])
    assert not (sample_ws / ".wtb").exists()  # doctor only reads (issue 20)
    from wtb import WTBTestBench

    WTBTestBench.create(workspace=sample_ws).close()
    report = wtb_json("doctor", "--workspace", str(sample_ws))
    assert report["watcher"]["mode"] == "inotify" and report["watcher"]["round_trip_ms"] >= 0
    assert report["libraries"]["langgraph"] and report["libraries"]["watchdog"]
    assert report["data_dir"] == str(sample_ws / ".wtb") and report["data_dir_bytes"] > 0
    text = wtb("doctor", "--workspace", str(sample_ws))
    assert text.returncode == 0
    watcher_line = next(line for line in text.stdout.splitlines() if line.startswith("watcher"))
    assert "inotify, barrier round trip" in watcher_line and watcher_line.endswith(" ms")


SURVEY = '''
import operator
from typing import Annotated, TypedDict
from langgraph.graph import StateGraph, START, END
from langgraph.types import interrupt

class S(TypedDict, total=False):
    left: str
    right: str
    log: Annotated[list, operator.add]
    answer: str

def inner(s):
    return {"log": ["inner"]}

sub = StateGraph(S)
sub.add_node("inner", inner)
sub.add_edge(START, "inner")

def ask(s):
    return {"answer": interrupt("colour?")}

graph = StateGraph(S)
graph.add_node("left", lambda s: {"left": "L"})
graph.add_node("right", lambda s: {"right": "R"})
graph.add_node("join", lambda s: {"log": [s["left"] + s["right"]]})
graph.add_node("sub", sub.compile())
graph.add_node("ask", ask)
graph.add_edge(START, "left")
graph.add_edge(START, "right")
graph.add_edge(["left", "right"], "join")
graph.add_edge("join", "sub")
graph.add_edge("sub", "ask")
graph.add_edge("ask", END)
'''


def test_subgraph_steps_as_node_and_interrupt_answers_from_the_cli(make_workspace: Any) -> None:
    ws = ("--workspace", str(make_workspace({"survey.py": SURVEY}, {"survey": "./survey.py:graph"})))
    paused = wtb_json("run", "survey", *ws)
    assert paused["status"] == "paused" and paused["next_nodes"] == ["ask"]
    assert [(i["node"], i["value"]) for i in paused["interrupts"]] == [("ask", "colour?")]
    refused = wtb("resume", paused["id"], *ws)
    assert refused.returncode == 2 and "colour?" in refused.stderr

    steps = wtb_json("checkpoints", paused["id"], "--subgraphs", *ws)
    assert {c["namespace"].split(":")[0] for c in steps} == {"", "sub"}
    assert len(wtb_json("checkpoints", paused["id"], *ws)) < len(steps)
    parallel = next(c for c in steps if c["namespace"] == "" and c["next"] == ["join"])
    ambiguous = wtb("fork", paused["id"], parallel["id"], "--set", 'left="X"', *ws)
    assert ambiguous.returncode == 2 and "'left', 'right'" in ambiguous.stderr
    assert len(wtb_json("executions", *ws)) == 1  # no orphan fork
    forked = wtb_json("fork", paused["id"], parallel["id"], "--set", 'left="X"', "--as-node", "left", *ws)
    assert forked["next_nodes"] == ["join"]

    done = wtb_json("resume", paused["id"], "--resume-value", '"teal"', *ws)
    assert done["status"] == "completed" and done["state"]["answer"] == "teal"


def test_the_subcommands_are_pinned() -> None:
    """Adding, renaming or removing a command is a decision: update this list with it."""
    from wtb.cli import build_parser

    usage = build_parser().format_usage()  # "usage: wtb [-h] {run,projects,...} ..."
    listed = usage[usage.index("{") + 1: usage.index("}")].split(",")
    assert sorted(listed) == sorted([
        "run", "projects", "doctor", "executions", "checkpoints", "state", "files", "cat", "gc", "stats",
        "rollback", "fork", "resume", "cancel", "diff", "tree", "golden", "check", "prune", "env",
        "batch", "batches", "batch-show", "batch-cancel", "serve", "dap",
    ])


def test_wtb_dap_speaks_the_debug_adapter_protocol_over_stdio(tmp_path: Path) -> None:
    """``wtb dap`` is the debug adapter the editor starts: it answers ``initialize`` with its
    capabilities (stepping back among them) and ends on ``disconnect``."""
    from tests.dap.client import DapConnection

    wtb_exe = Path(sys.executable).parent / "wtb"
    process = subprocess.Popen([str(wtb_exe), "dap"], cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stdin is not None
        connection = DapConnection(process.stdout, process.stdin)
        capabilities = connection.request("initialize", {"adapterID": "wtb", "clientID": "test"})
        assert capabilities["supportsStepBack"] is True
        connection.request("disconnect", {})
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


ESSAY = """
from pathlib import Path
from langgraph.func import entrypoint, task
from langgraph.types import interrupt

@task
def line(i, topic):
    Path(f"line{i}.txt").write_text(f"{topic} #{i}")
    return f"{topic} #{i}"

@entrypoint()
def essay(topic):
    first = line(0, topic).result()
    verdict = interrupt(f"Keep {first}?")
    return [first, line(1, f"{topic}/{verdict}").result()]
"""


def test_an_entrypoint_takes_any_json_value_as_its_input(make_workspace) -> None:
    """The Functional API's input is what its function takes: ``--input '"sea"'`` is a string."""
    ws = make_workspace({"essay.py": ESSAY}, {"essay": "./essay.py:essay"})
    paused = wtb_json("run", "essay", "--input", '"sea"', "--workspace", str(ws))
    assert paused["status"] == "paused" and paused["interrupts"][0]["value"] == "Keep sea #0?"
    done = wtb_json("resume", paused["id"], "--resume-value", '"ok"', "--workspace", str(ws))
    assert done["status"] == "completed" and done["state"] == ["sea #0", "sea/ok #1"]
    assert (ws / "line0.txt").read_text() == "sea #0" and (ws / "line1.txt").read_text() == "sea/ok #1"


CONFIGURED = """
from dataclasses import dataclass
from typing import TypedDict
from langgraph.graph import StateGraph, START, END
from langgraph.runtime import Runtime

@dataclass
class Style:
    tone: str = "plain"

class S(TypedDict, total=False):
    n: int
    said: str

def speak(state, config, runtime: Runtime[Style]):
    said = f"{config['configurable'].get('model', 'default')}/{runtime.context.tone}"
    open("said.txt", "w").write(said)
    return {"said": said, "n": state.get("n", 0) + 1}

def again(state):
    return {"n": state["n"] + 1}

graph = StateGraph(S, context_schema=Style)
graph.add_node("speak", speak)
graph.add_node("again", again)
graph.add_edge(START, "speak")
graph.add_conditional_edges("again", lambda s: END if s["n"] > 5 else "again")
graph.add_edge("speak", "again")
"""


def test_run_and_fork_take_langgraphs_config(make_workspace) -> None:
    """``--config``: configurable values and a context_schema's context reach the nodes; a
    recursion limit is LangGraph's own; a config that is not an object is refused while parsing."""
    ws = make_workspace({"talk.py": CONFIGURED}, {"talk": "./talk.py:graph"})
    at = ("--workspace", str(ws))
    config = json.dumps({"configurable": {"model": "small"}, "context": {"tone": "warm"}})
    execution = wtb_json("run", "talk", "--input", "{}", "--config", config, *at)
    assert execution["status"] == "completed" and (ws / "said.txt").read_text() == "small/warm"
    fork = wtb_json("fork", execution["id"], "@0", "--config", json.dumps({"context": {"tone": "dry"}}), *at)
    assert wtb_json("resume", fork["id"], *at)["status"] == "completed"
    assert (ws / "said.txt").read_text() == "small/dry"  # the parent's configurable, the fork's context
    limited = wtb("run", "talk", "--input", "{}", "--config", '{"recursion_limit": 3, "context": {}}', *at, "--json")
    assert limited.returncode == 1 and json.loads(limited.stdout)["error"]["type"] == "GraphRecursionError"
    refused = wtb("run", "talk", "--config", "[1]", *at)
    assert refused.returncode == 2 and "must be a JSON object" in refused.stderr
