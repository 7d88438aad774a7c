"""End to end: start-up, shutdown, a dying editor, and where the daemon listens."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.conftest import PYTHON_M_WTB_LSP, SERVER_COMMAND, WAIT_S, WTB_SERVE, StartDaemon, server_env


def worker_pids(workspace: Path) -> set[int]:
    """Processes running ``wtb.worker`` for this workspace."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"wtb.worker" in argv and str(workspace).encode() in argv:
            found.add(int(entry.name))
    return found


async def no_workers_left(workspace: Path) -> None:
    """Every worker of the workspace is gone (a standby exits by itself once its pipe closes)."""
    for _ in range(int(WAIT_S / 0.1)):
        if not worker_pids(workspace):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"workers still running: {worker_pids(workspace)}")


def stored_status(workspace: Path, execution_id: str) -> str:
    from wtb import FileTrackingConfig, WTBTestBench

    with WTBTestBench.create(workspace=workspace, file_tracking=FileTrackingConfig(enabled=False)) as bench:
        return str(bench.get_execution(execution_id).status.value)


def listening_ports(pid: int) -> list[int]:
    """TCP ports in LISTEN state owned by ``pid`` (from /proc, no extra tools)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.mark.skipif(WTB_SERVE is None, reason="the wtb console command is not installed")
async def test_the_wtb_serve_command_serves_stdio(
    start_daemon: StartDaemon, sample_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(sample_ws, command=WTB_SERVE, warmWorker=False, dataDir="custom-data", **no_tracking)
    listed = await daemon.request("wtb/listWorkflows", {})
    assert {w["name"] for w in listed["workflows"]} == {"rag", "reviser"}
    assert (sample_ws / "custom-data" / "wtb.db").is_file()  # initializationOptions.dataDir
    assert not (sample_ws / ".wtb").exists()


async def test_shutdown_cancels_running_runs(
    start_daemon: StartDaemon, flows_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(flows_ws, **no_tracking)
    assert daemon.client._server is not None
    assert listening_ports(daemon.client._server.pid) == []  # stdio only: no TCP listener
    started = await daemon.request("wtb/run", {"workflow": "ticker"})
    eid = started["execution"]["id"]
    await daemon.wait_until(lambda: daemon.of("wtb/checkpointAdded", eid), "a tick")
    await asyncio.wait_for(daemon.client.shutdown_async(None), WAIT_S)
    # The daemon recorded the cancel and told the client before answering shutdown.
    statuses = [n["execution"]["status"] for n in daemon.of("wtb/executionChanged", eid)]
    assert statuses[-1] == "cancelled"
    daemon.client.exit(None)
    server = daemon.client._server
    assert server is not None
    assert await asyncio.wait_for(server.wait(), WAIT_S) == 0
    assert stored_status(flows_ws, eid) == "cancelled"
    await no_workers_left(flows_ws)


async def test_a_dead_editor_stdin_closed_stops_the_daemon_and_its_workers(
    start_daemon: StartDaemon, flows_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(flows_ws, **no_tracking)
    started = await daemon.request("wtb/run", {"workflow": "ticker"})
    eid = started["execution"]["id"]
    await daemon.wait_until(lambda: daemon.of("wtb/checkpointAdded", eid), "a tick")
    assert worker_pids(flows_ws)
    server = daemon.client._server
    assert server is not None and server.stdin is not None
    server.stdin.close()
    await asyncio.wait_for(server.wait(), WAIT_S)
    await no_workers_left(flows_ws)
    assert stored_status(flows_ws, eid) == "cancelled"
    kept = await asyncio.to_thread(checkpoint_count, flows_ws, eid)
    assert kept >= 1


async def test_the_daemon_exits_when_its_editor_process_dies(sample_ws: Path, tmp_path: Path) -> None:
    """The editor's pid (``processId``) is watched even while stdin stays open."""
    editor = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(600)")
    process = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND,
        "--log-file",
        str(tmp_path / "orphan.log"),
        env=server_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "processId": editor.pid,
                    "rootUri": sample_ws.as_uri(),
                    "capabilities": {},
                    "initializationOptions": {"fileTracking": {"enabled": False}, "warmWorker": False},
                },
            }
        ).encode()
        process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await process.stdin.drain()
        while (await asyncio.wait_for(process.stdout.readline(), WAIT_S)).strip():
            pass  # headers of the initialize answer: the daemon is up
        editor.kill()
        await editor.wait()
        assert await asyncio.wait_for(process.wait(), WAIT_S) == 0
    finally:
        for proc in (editor, process):
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def checkpoint_count(workspace: Path, execution_id: str) -> int:
    from wtb import FileTrackingConfig, WTBTestBench

    with WTBTestBench.create(workspace=workspace, file_tracking=FileTrackingConfig(enabled=False)) as bench:
        return len(bench.get_checkpoints(execution_id))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_tcp_when_asked_on_localhost(sample_ws: Path, tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND,
        "--tcp",
        "--port",
        str(port),
        "--log-file",
        str(tmp_path / "tcp.log"),
        env=server_env(),
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        reader = writer = None
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        assert reader is not None and writer is not None, "the daemon never listened"
        assert listening_ports(process.pid) == [port]
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": os.getpid(), "rootUri": sample_ws.as_uri(), "capabilities": {}},
            }
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        length = 0
        while (line := await asyncio.wait_for(reader.readline(), WAIT_S)).strip():
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        reply = json.loads(await reader.readexactly(length))
        assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "wtb"
        writer.close()
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def test_python_dash_m_wtb_lsp_has_help() -> None:
    import subprocess

    out = subprocess.run(
        [*PYTHON_M_WTB_LSP, "--help"], env=server_env(), capture_output=True, text=True, timeout=WAIT_S, check=True
    )
    assert "--tcp" in out.stdout and "--log-file" in out.stdout
    assert sys.executable
