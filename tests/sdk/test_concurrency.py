"""Two processes on one data dir (issue 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import RAG_INPUT

SCRIPT = """
import json, sys
from wtb import WTBTestBench
with WTBTestBench.create(workspace=sys.argv[1]) as bench:
    ids = [bench.run("reviser", {"topic": "T", "checklist": ["a", "b"], "max_rounds": 3}).id for _ in range(3)]
    print(json.dumps(ids))
"""


def test_two_processes_write_to_one_data_dir(sample_ws: Path, make_bench) -> None:
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, str(sample_ws)], stdout=subprocess.PIPE, text=True)
    bench = make_bench(sample_ws)
    mine = [bench.run("rag", RAG_INPUT).id for _ in range(3)]
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0
    theirs = json.loads(out)
    listed = {e.id: e for e in bench.list_executions()}
    assert set(listed) == set(mine) | set(theirs)
    assert all(e.status.value == "completed" for e in listed.values())
    for execution_id in theirs:
        assert len(bench.get_checkpoints(execution_id)) == 8
