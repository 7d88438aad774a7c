"""The ``RAY_ADDRESS`` path: a driver process connects to a two-node Ray "cluster" on this machine.

It takes ~30-60 s (two ``ray start`` processes), so it runs only with ``WTB_TEST_RAY_CLUSTER=1``.
The driver is a child process: the session's local Ray must not be the one it uses.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.ray,
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("WTB_TEST_RAY_CLUSTER"), reason="set WTB_TEST_RAY_CLUSTER=1 to run"),
]

RAY = Path(sys.executable).with_name("ray")
# Ray 2.60 turns token authentication on; its token file is per user, shared with other Rays here.
ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}

DRIVER = """
import json, sys
from wtb import WTBTestBench
from wtb.batch import run_batch
with WTBTestBench.create(workspace=sys.argv[1]) as bench:
    variants = [{"name": f"v{i}", "initial_state": {"query": q, "top_k": 1}}
                for i, q in enumerate(["What is Ray?", "Is SQLite a server?", "revenue?", "LangGraph?"])]
    result = run_batch(bench, "rag", variants, max_parallel=2)
    print(json.dumps({"status": result.status,
                      "answers": [bench.read_file(v.execution_id, None, "out/answer.md").decode()
                                  for v in result.variants]}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_node_cluster() -> Iterator[str]:
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="wtbray-", dir="/tmp")  # Ray's socket paths must stay short
    env = {**os.environ, **ENV}
    head = subprocess.Popen(
        [str(RAY), "start", "--head", "--block", f"--port={port}", "--num-cpus=1", "--include-dashboard=false",
         "--disable-usage-stats", f"--temp-dir={temp}"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        _wait_for_port(port)
        worker = subprocess.Popen(
            [str(RAY), "start", "--block", f"--address=127.0.0.1:{port}", "--num-cpus=1", "--disable-usage-stats"],
            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        yield f"127.0.0.1:{port}"
    finally:
        for process in (worker, head):
            if process is not None:
                os.killpg(process.pid, signal.SIGINT)
        for process in (worker, head):
            if process is not None:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)


def _wait_for_port(port: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"Ray head did not listen on {port}")


def test_a_batch_on_a_cluster_named_by_ray_address(two_node_cluster: str, rag_ws: Path) -> None:
    env = {**os.environ, **ENV, "RAY_ADDRESS": two_node_cluster}
    deadline = time.monotonic() + 90
    while True:  # the second node joins a few seconds after the head
        nodes = subprocess.run([sys.executable, "-c", "import ray, json; ray.init(); "
                                "print(json.dumps(len([n for n in ray.nodes() if n['Alive']])))"],
                               env=env, capture_output=True, text=True, timeout=120)
        if nodes.stdout.strip().endswith("2") or time.monotonic() > deadline:
            break
        time.sleep(2)
    done = subprocess.run([sys.executable, "-c", DRIVER, str(rag_ws)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "completed"
    assert [a.splitlines()[0] for a in report["answers"]] == [
        "# What is Ray?", "# Is SQLite a server?", "# revenue?", "# LangGraph?"
    ]
