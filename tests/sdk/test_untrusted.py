"""A possibly hostile data directory (an untrusted workspace): reading never runs its code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from wtb import WTBTestBench

# Importing this module leaves a marker: the proof that reading a checkpoint ran workspace code.
PAYLOAD = """
from dataclasses import dataclass
from pathlib import Path

Path(__file__).with_name("IMPORTED").write_text("workspace code ran")


@dataclass
class Payload:
    text: str
"""

FLOW = """
from typing import Any, TypedDict
from langgraph.graph import END, START, StateGraph
from payload import Payload


class State(TypedDict, total=False):
    item: Any


def make(state: State) -> dict:
    return {"item": Payload("hello")}


builder = StateGraph(State)
builder.add_node("make", make)
builder.add_edge(START, "make")
builder.add_edge("make", END)
graph = builder.compile()
"""

READ = """
import json, sys
from wtb import WTBTestBench
with WTBTestBench.create(workspace=sys.argv[1], trusted=sys.argv[3] == "trusted") as bench:
    item = bench.get_state(sys.argv[2])["item"]
print(json.dumps({"type": type(item).__name__, "fields": item if isinstance(item, dict) else vars(item)}))
"""


def _read(ws: Path, execution_id: str, trust: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", READ, str(ws), execution_id, trust],
                          cwd=ws, capture_output=True, text=True, timeout=120)  # its modules importable
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_an_untrusted_open_reads_checkpoints_without_importing_their_classes(make_workspace) -> None:
    ws = make_workspace({"payload.py": PAYLOAD, "flow.py": FLOW}, {"flow": "./flow.py:graph"})
    with WTBTestBench.create(workspace=ws) as bench:
        execution = bench.run("flow", {})
    (ws / "IMPORTED").unlink()

    untrusted = _read(ws, execution.id, "untrusted")
    assert not (ws / "IMPORTED").exists()  # no workspace code ran
    assert untrusted == {"type": "dict", "fields": {"text": "hello"}}  # the value, as plain fields

    trusted = _read(ws, execution.id, "trusted")  # the user's own types come back in a trusted one
    assert (ws / "IMPORTED").exists()
    assert trusted == {"type": "Payload", "fields": {"text": "hello"}}
