"""Daemon rows: how fast the editor gets ``initialize`` back, and how fast the checkpoint list
answers for a long execution while another run is going.

Both are measured from a client's side of the real protocol: the daemon is spawned as the
editor does (``python -m wtb.lsp`` over stdio) and spoken to with a minimal JSON-RPC
client, so the figures include framing, JSON and the thread hop of every request.

Rows (values in seconds):

* spawn → ``initialize`` result, median of N spawns (goal: well under 1.5 s); the baseline
  is a Python that only imports pygls and lsprotocol (about 0.7 s of class creation here),
  the floor for any pygls server;
* ``wtb/listCheckpoints`` first page (50) of an execution with 10,000 checkpoints, median
  and p95 over many requests, with a workflow running in a worker at the same time; the
  baseline is the same request with nothing running (goal: p95 ≤ 50 ms).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

Row = tuple[str, float, float | None, str]

REPO = Path(__file__).resolve().parent.parent

TICKER = """
import time
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    n: int
    limit: int
    pause: float


def tick(state):
    if state.get("pause"):
        time.sleep(state["pause"])
    return {"n": state.get("n", 0) + 1}


def build():
    graph = StateGraph(S)
    graph.add_node("tick", tick)
    graph.add_edge(START, "tick")
    graph.add_conditional_edges("tick", lambda s: END if s.get("n", 0) >= s.get("limit", 10) else "tick")
    return graph


graph = build()
"""


class Client:
    """Just enough JSON-RPC over a child's stdio for a benchmark."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self.notifications: list[tuple[str, Any]] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(cls, *args: str) -> Client:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "server"), env.get("PYTHONPATH")]))
        env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "wtb.lsp",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            limit=64 * 1024 * 1024,
        )
        return cls(process)

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any) -> Any:
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await asyncio.wait_for(future, 120)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = 0
            while (line := await stdout.readline()).strip():
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line and not length:
                return
            message = json.loads(await stdout.readexactly(length))
            if "method" in message and "id" in message:  # a request from the server: say yes
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.append((message["method"], message.get("params")))
            elif (future := self._pending.pop(message["id"], None)) is not None and not future.done():
                if "error" in message:
                    future.set_exception(RuntimeError(message["error"]["message"]))
                else:
                    future.set_result(message.get("result"))

    async def initialize(self, workspace: Path, **options: Any) -> Any:
        result = await self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": workspace.as_uri(),
                "capabilities": {"window": {"workDoneProgress": True}},
                "initializationOptions": options,
            },
        )
        self.notify("initialized", {})
        return result

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.request("shutdown", None), 60)
            self.notify("exit", None)
            await asyncio.wait_for(self.process.wait(), 30)
        except Exception:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()


def make_workspace(root: Path) -> Path:
    workspace = root / "ws"
    workspace.mkdir()
    (workspace / "ticker.py").write_text(TICKER, encoding="utf-8")
    (workspace / "langgraph.json").write_text(json.dumps({"graphs": {"ticker": "./ticker.py:graph"}}))
    return workspace


def make_long_execution(workspace: Path, checkpoints: int) -> str:
    """An execution with ``checkpoints`` checkpoints, recorded through the SDK (no file tracking)."""
    sys.path.insert(0, str(REPO / "server"))
    from wtb import ExecutionConfig, FileTrackingConfig, WorkflowProject, WTBTestBench

    with WTBTestBench.create(workspace=workspace, file_tracking=FileTrackingConfig(enabled=False)) as bench:
        project = WorkflowProject(
            name="ticker", graph="./ticker.py:graph", execution=ExecutionConfig(recursion_limit=checkpoints + 10)
        )
        # LangGraph writes steps -1 and 0 before the first tick: limit = checkpoints - 2.
        execution = bench.run(project, {"limit": checkpoints - 2})
        count = len(bench.get_checkpoints(execution.id))
        if count != checkpoints:
            raise RuntimeError(f"expected {checkpoints} checkpoints, got {count}")
        return str(execution.id)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def spawn_to_initialize(workspace: Path, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        client = await Client.spawn()
        await client.initialize(workspace, fileTracking={"enabled": False}, warmWorker=False)
        times.append(time.perf_counter() - start)
        await client.close()
    return times


async def pygls_floor(repeats: int) -> list[float]:
    """Spawn of a Python that only imports pygls (and lsprotocol): what no pygls server can beat."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import pygls.lsp.server, lsprotocol.types"
        )
        await process.wait()
        times.append(time.perf_counter() - start)
    return times


async def list_latencies(client: Client, execution_id: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        page = await client.request("wtb/listCheckpoints", {"executionId": execution_id, "limit": 50})
        times.append(time.perf_counter() - start)
        if len(page["checkpoints"]) != 50:
            raise RuntimeError("short first page")
    return times


async def checkpoint_listing(workspace: Path, execution_id: str, count: int) -> tuple[list[float], list[float]]:
    client = await Client.spawn()
    try:
        await client.initialize(workspace, fileTracking={"enabled": False})
        await list_latencies(client, execution_id, 5)  # warm: bench open, caches
        idle = await list_latencies(client, execution_id, count)
        started = await client.request(
            "wtb/run", {"workflow": "ticker", "initialState": {"limit": 100000, "pause": 0.01}}
        )
        run_id = started["execution"]["id"]
        while not any(m == "wtb/checkpointAdded" for m, _ in client.notifications):
            await asyncio.sleep(0.05)
        busy = await list_latencies(client, execution_id, count)
        status = (await client.request("wtb/getExecution", {"executionId": run_id}))["status"]
        if status != "running":
            error = (await client.request("wtb/getExecution", {"executionId": run_id})).get("error")
            raise RuntimeError(f"the concurrent run was {status} before the measurement ended: {error}")
        await client.request("wtb/cancel", {"executionId": run_id})
        return idle, busy
    finally:
        await client.close()


def run(quick: bool) -> list[Row]:
    root = Path(tempfile.mkdtemp(prefix="wtb-lsp-bench-"))
    try:
        workspace = make_workspace(root)
        size = 2_000 if quick else 10_000
        execution_id = make_long_execution(workspace, size)
        spawns = asyncio.run(spawn_to_initialize(workspace, 3 if quick else 10))
        floor = asyncio.run(pygls_floor(3 if quick else 10))
        idle, busy = asyncio.run(checkpoint_listing(workspace, execution_id, 50 if quick else 300))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n = len(busy)
    return [
        (
            f"lsp: spawn → initialize result (median of {len(spawns)})",
            statistics.median(spawns),
            statistics.median(floor),
            f"baseline: python importing pygls only; max {max(spawns) * 1000:.0f} ms; goal well under 1500 ms",
        ),
        (
            f"lsp: listCheckpoints first page, {size:,} checkpoints, run going: median (n={n})",
            statistics.median(busy),
            statistics.median(idle),
            "baseline: same request, nothing running",
        ),
        (
            f"lsp: listCheckpoints first page, {size:,} checkpoints, run going: p95 (n={n})",
            percentile(busy, 0.95),
            percentile(idle, 0.95),
            "baseline: same request, nothing running; goal p95 ≤ 50 ms",
        ),
    ]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.lsp_bench")
    parser.add_argument("--quick", action="store_true")
    for name, value, baseline, note in run(parser.parse_args().quick):
        base = f"{baseline * 1000:.2f} ms" if baseline is not None else "-"
        print(f"{name}: {value * 1000:.2f} ms (baseline {base}) {note}")
