"""Batches on a two-node Ray cluster on this machine, sharing nothing with the driver but Ray.

One cluster for the module (:class:`~wtb.batch.localcluster.LocalCluster`: a head and a
worker node of one CPU each, ``ray start --block`` process groups with their own
temporary directory, working directory and ``HOME``). Where mount namespaces are available
(root, or unprivileged user namespaces) each node runs with the directory that holds the
user's workspace and data dir covered by an empty tmpfs: the workers *cannot* open them,
and the tests check that they indeed see nothing there, while the driver sees its files.
So every file and row the driver ends up with came through Ray.

The drivers are child processes (this session may have its own local Ray): one runs
batches through ``RAY_ADDRESS`` and the SDK, the other through ``wtb batch --address`` while
the test kills the worker node under a running variant. Results are read back here,
through the SDK, from the data dir the drivers wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLE
from wtb.batch.localcluster import FAST_FAILURE_DETECTION, LocalCluster, can_hide

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.timeout(240)]

RETRIEVERS = '''
def always_sqlite(state):
    return {"retrieved": ["sqlite.txt"]}


def approve(state):
    """An override of the reviser's review node: approve whatever the draft says."""
    return {"missing": [], "approved": True}
'''

# Runs in the driver process, with the workspace as its working directory (as `wtb` is run).
DRIVER = """
import json, os, sys, time
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
from wtb import WTBTestBench
from wtb.batch import Variant, run_batch
from wtb.batch.cluster import alive_nodes, ensure_ray
from wtb.config import WorkflowProject

workspace, data = sys.argv[1], sys.argv[2]
ensure_ray()  # RAY_ADDRESS
deadline = time.monotonic() + 60
while len(alive_nodes()) < 2 and time.monotonic() < deadline:
    time.sleep(0.5)

@ray.remote(num_cpus=0)
def look(paths):
    return {"node": os.environ.get("WTB_LOCAL_NODE"), "cwd": os.getcwd(), "home": os.environ.get("HOME"),
            "sees": {path: os.path.exists(path) for path in paths}}

probes = ray.get([look.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
                  .remote([workspace, data]) for n in alive_nodes()], timeout=120)

with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
    rag = run_batch(bench, "rag", [
        Variant("revenue", initial_state={"query": "How much did revenue grow?", "top_k": 2}),
        Variant("ray", initial_state={"query": "What is Ray?", "top_k": 1}),
        Variant("sqlite", initial_state={"query": "Is SQLite a server?", "top_k": 3}),
        Variant("override", initial_state={"query": "What is Ray?"},
                node_overrides={"rag_retrieve": "retrievers.py:always_sqlite"}),
    ], max_parallel=2)
    # A graph and an override given as Python objects of workspace modules: pickled by
    # reference, they can only load where the workspace's files are, i.e. in the variant's.
    sys.path.insert(0, workspace)
    import retrievers, reviser
    bench.register_project(WorkflowProject("reviser-object", reviser.graph))
    checklist = ["Ray", "SQLite"]
    revised = run_batch(bench, "reviser-object", [
        Variant("loop", initial_state={"topic": "Batches", "checklist": checklist}),
        Variant("approved", initial_state={"topic": "Batches", "checklist": checklist},
                node_overrides={"review": retrievers.approve}),
    ], max_parallel=2)
print(json.dumps({"probes": probes, "batches": [rag.batch_id, revised.batch_id]}))
"""

# A workflow whose node reports that it started (a file outside the user's directories),
# waits until the test releases it, and returns what the runtime_env set.
WAITING_FLOW = '''
import os
import time
from pathlib import Path
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    label: str
    signals: str
    mark: str
    out: str


def work(state):
    signals = Path(state["signals"])
    (signals / f"started-{state['label']}-{os.environ.get('WTB_LOCAL_NODE')}-{os.getpid()}").touch()
    deadline = time.monotonic() + 90
    while not (signals / f"release-{state['label']}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    Path("out").mkdir(exist_ok=True)
    Path("out/result.txt").write_text(f"done {state['label']}\\n")
    return {"out": "done", "mark": os.environ.get("WTB_TEST_MARK", "")}


graph = StateGraph(S)
graph.add_node("work", work)
graph.add_edge(START, "work")
graph.add_edge("work", END)
'''

PYPROJECT = """
[tool.wtb.batch]
max_retries = 1
runtime_env = { env_vars = { WTB_TEST_MARK = "from-pyproject" } }
"""


@pytest.fixture(scope="module")
def user_dir() -> Iterator[Path]:
    """The user's side: workspaces and data dirs live here, hidden from the nodes where possible."""
    root = Path(tempfile.mkdtemp(prefix="wtb-user-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(user_dir: Path) -> Iterator[LocalCluster]:
    hide = [user_dir] if can_hide() else []
    with LocalCluster.start(workers=1, num_cpus=1, hide=hide, env=FAST_FAILURE_DETECTION) as started:
        yield started  # stopped (SIGINT to each node's process group) also when a test fails


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    return {**env, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled", **extra}


def test_a_batch_on_the_cluster_ships_code_files_and_results_through_ray_only(
    cluster: LocalCluster, user_dir: Path, make_bench: Any
) -> None:
    workspace = user_dir / "sample"
    shutil.copytree(SAMPLE, workspace, ignore=shutil.ignore_patterns(".wtb", "index", "out", "drafts", "__pycache__"))
    (workspace / "retrievers.py").write_text(textwrap.dedent(RETRIEVERS), encoding="utf-8")
    data = user_dir / "sample-data"
    done = subprocess.run([sys.executable, "-c", DRIVER, str(workspace), str(data)], cwd=workspace,
                          env=_env(RAY_ADDRESS=cluster.address), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    nodes = {node.node_id: node for node in cluster.nodes}
    # Where the workers run: their own working directory and HOME, never the user's.
    for probe in report["probes"]:
        node = cluster.node(probe["node"])
        assert probe["cwd"] == str(node.home) and probe["home"] == str(node.home)
        if cluster.hide:  # the proof: the user's workspace and data dir do not exist for the workers
            assert probe["sees"] == {str(workspace): False, str(data): False}, probe
    assert {p["node"] for p in report["probes"]} == {"head", "worker1"}

    from wtb.batch import get_batch
    from wtb.batch.result import BatchResult

    bench = make_bench(workspace, data_dir=data)
    rag_id, reviser_id = report["batches"]
    rag = BatchResult.from_dict(get_batch(bench, rag_id).result or {})
    assert rag.status == "completed", rag.table()
    assert set(rag.nodes) == set(nodes)  # variants ran on both nodes, and each records which
    for variant in rag.variants:
        assert variant.node_id in nodes and variant.attempts == 1
        assert not variant.worker["cwd"].startswith(str(user_dir))
        assert variant.shipped["task"] > 0 and variant.shipped["result"] > 0
        execution = bench.get_execution(variant.execution_id)
        assert execution.status.value == "completed" and execution.batch_id == rag_id
        assert [c.step for c in bench.get_checkpoints(variant.execution_id)] == [3, 2, 1, 0, -1]
        answer = bench.read_file(variant.execution_id, None, "out/answer.md").decode()
        assert answer.startswith(f"# {variant.state['query']}\n")
        assert bench.read_file(variant.execution_id, None, "index/manifest.txt").decode().count(".txt") == 4
        embedded = next(c for c in bench.get_checkpoints(variant.execution_id) if c.step == 1)
        assert "index/vectors.json" in bench.get_files(variant.execution_id, embedded.id)
        assert "out/answer.md" not in bench.get_files(variant.execution_id, embedded.id)
    assert rag["override"].state["retrieved"] == ["sqlite.txt"]
    assert rag["ray"].state["retrieved"] == ["ray.txt"]
    assert rag.shipped["base"] > 0  # the starting files: one object for the whole batch
    assert not (workspace / "out").exists() and not (workspace / "index").exists()

    revised = BatchResult.from_dict(get_batch(bench, reviser_id).result or {})
    assert revised.status == "completed", revised.table()
    loop, approved = revised["loop"], revised["approved"]
    assert loop.state["approved"] is True and loop.state["rounds"] == 2
    assert approved.state["rounds"] == 0 and approved.state["missing"] == []
    draft = bench.read_file(loop.execution_id, None, "drafts/draft.md").decode()
    assert "covers Ray" in draft and "covers SQLite" in draft
    assert bench.read_file(approved.execution_id, None, "drafts/draft.md") == b"# Batches\n"


def test_a_variant_whose_node_is_lost_runs_again_on_the_surviving_node(
    cluster: LocalCluster, user_dir: Path, tmp_path: Path, make_bench: Any
) -> None:
    workspace = user_dir / "flow"
    workspace.mkdir()
    (workspace / "flow.py").write_text(textwrap.dedent(WAITING_FLOW), encoding="utf-8")
    (workspace / "langgraph.json").write_text(json.dumps({"graphs": {"flow": "./flow.py:graph"}}), encoding="utf-8")
    (workspace / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    signals = tmp_path / "signals"  # outside the user's directories: the nodes see it
    signals.mkdir()
    variants = tmp_path / "variants.json"
    variants.write_text(json.dumps([{"name": label, "initial_state": {"label": label, "signals": str(signals)}}
                                    for label in ("a", "b")]), encoding="utf-8")
    data = user_dir / "flow-data"
    command = [sys.executable, "-m", "wtb", "batch", "flow", "--variants", str(variants), "--parallel", "2",
               "--address", cluster.address, "--workspace", str(workspace), "--data-dir", str(data), "--json"]
    driver = subprocess.Popen(command, cwd=workspace, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        started = _wait_for_starts(signals, 2, driver)
        on_worker = next(label for label, where in started.items() if where == ["worker1"])
        cluster.kill("worker1", signal.SIGKILL)  # a lost machine: no goodbye to the head
        for label in ("a", "b"):
            (signals / f"release-{label}").touch()
        out, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
    assert driver.returncode == 0, (out[-3000:], err[-3000:])
    result = json.loads(out)
    head_id, lost_id = cluster.node("head").node_id, cluster.node("worker1").node_id
    assert result["status"] == "completed"
    by_name = {v["name"]: v for v in result["variants"]}
    again = by_name[on_worker]
    assert again["status"] == "completed" and again["attempts"] == 2 and again["node_id"] == head_id
    assert len(again["lost"]) == 1 and "its node was lost" in again["lost"][0] and lost_id in again["lost"][0]
    assert _started(signals)[on_worker] == ["worker1", "head"]
    other = by_name["b" if on_worker == "a" else "a"]
    assert other["attempts"] == 1 and other["node_id"] == head_id
    for variant in (again, other):
        assert variant["state"]["mark"] == "from-pyproject"  # [tool.wtb.batch] runtime_env reached the workers

    bench = make_bench(workspace, data_dir=data)
    for variant in (again, other):
        execution = bench.get_execution(variant["execution_id"])
        assert execution.status.value == "completed"
        expected = f"done {variant['name']}\n".encode()
        assert bench.read_file(variant["execution_id"], None, "out/result.txt") == expected


def _started(signals: Path) -> dict[str, list[str]]:
    """label → the nodes it started on, in order."""
    found: dict[str, list[str]] = {}
    for marker in sorted(signals.glob("started-*"), key=lambda p: p.stat().st_mtime_ns):
        _, label, node, _pid = marker.name.split("-", 3)
        found.setdefault(label, []).append(node)
    return found


def _wait_for_starts(signals: Path, count: int, driver: subprocess.Popen[str], timeout_s: float = 120) -> dict[
    str, list[str]
]:
    """Until ``count`` variants have started (the driver must not end first)."""
    deadline = time.monotonic() + timeout_s
    while len(found := _started(signals)) < count:
        if driver.poll() is not None:
            raise AssertionError(f"The driver ended early: {driver.communicate()[1][-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"Only {found} started within {timeout_s:g}s.")
        time.sleep(0.2)
    return found


CLOSE_DRIVER = """
import json, sys
import ray
from wtb import WTBTestBench
from wtb.batch import run_batch

with WTBTestBench.create(workspace=sys.argv[1], data_dir=sys.argv[2]) as bench:
    result = run_batch(bench, "rag", [{"name": "one", "initial_state": {"query": "What is Ray?", "top_k": 1}}])
    during = ray.is_initialized()
print(json.dumps({"status": result.status, "during": during, "after": ray.is_initialized()}))
"""


def test_closing_the_bench_leaves_the_cluster_wtb_connected_to(cluster: LocalCluster, user_dir: Path) -> None:
    """Connected when the cluster stops, Ray ends the user's process (exit 1, no message)."""
    workspace = user_dir / "close-sample"
    shutil.copytree(SAMPLE, workspace, ignore=shutil.ignore_patterns(".wtb", "index", "out", "drafts", "__pycache__"))
    done = subprocess.run([sys.executable, "-c", CLOSE_DRIVER, str(workspace), str(user_dir / "close-data")],
                          cwd=workspace, env=_env(RAY_ADDRESS=cluster.address), capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"status": "completed", "during": True, "after": False}


SLOW_FLOW = """
import time
from pathlib import Path
from typing import TypedDict
from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    n: int


def slow(state: State) -> dict:
    Path(SIGNAL).write_text("started")
    time.sleep(60)
    return {"n": 1}


builder = StateGraph(State)
builder.add_node("slow", slow)
builder.add_edge(START, "slow")
builder.add_edge("slow", END)
graph = builder.compile()
"""

GONE_DRIVER = """
import sys
from wtb import WTBTestBench
from wtb.batch import run_batch

with WTBTestBench.create(workspace=sys.argv[1], data_dir=sys.argv[2]) as bench:
    result = run_batch(bench, "slow", [{"name": "a"}], max_retries=1)
    print("RESULT", result.status, result["a"].status, result["a"].error, flush=True)
print("ALIVE", flush=True)
"""


def test_a_cluster_that_goes_away_during_a_batch_fails_it_clearly_and_the_process_lives(tmp_path: Path) -> None:
    """The batch fails with the reason and the process goes on, unless Ray itself ends it
    because its local raylet died first (a cluster on the driver's own machine)."""
    signal_file = tmp_path / "started"
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "slow.py").write_text(SLOW_FLOW.replace("SIGNAL", repr(str(signal_file))), encoding="utf-8")
    (workspace / "langgraph.json").write_text(json.dumps({"graphs": {"slow": "./slow.py:graph"}}), encoding="utf-8")
    with LocalCluster.start(workers=0, num_cpus=1, env=FAST_FAILURE_DETECTION) as gone:
        driver = subprocess.Popen([sys.executable, "-c", GONE_DRIVER, str(workspace), str(tmp_path / "data")],
                                  cwd=workspace, env=_env(RAY_ADDRESS=gone.address), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not signal_file.exists():  # the variant runs on the cluster: now the cluster goes away
            assert driver.poll() is None, driver.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the variant never started"
            time.sleep(0.2)
    out, err = driver.communicate(timeout=120)  # it ends: no wait on a cluster that is gone hangs
    result = next((line for line in out.splitlines() if line.startswith("RESULT")), None)
    if result is not None:  # the batch ends, failed, with the reason:
        assert result.startswith("RESULT failed failed"), result
        assert any(why in result for why in ("were lost", "node has crashed", "worker process died")), result
    if driver.returncode != 0:
        # The cluster ran on this machine, so the driver was attached to its raylet; Ray ends a
        # driver whose own raylet died (exit 1), before or after the batch reported, as it happens
        # to notice (docs/cluster.md). Nothing else may end it, and not with a traceback of ours.
        assert driver.returncode == 1 and "Traceback" not in err, err[-3000:]
        return
    assert result is not None, out
    assert out.splitlines()[-1] == "ALIVE"
