"""End to end: the daemon's ``wtb/cancel`` also stops a run of another process (a CLI run)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tests.lsp.conftest import WAIT_S, StartDaemon, server_env
from tests.lsp.test_e2e_lifecycle import stored_status


def running_execution(workspace: Path) -> str | None:
    from wtb import FileTrackingConfig, WTBTestBench

    with WTBTestBench.create(workspace=workspace, file_tracking=FileTrackingConfig(enabled=False)) as bench:
        running = [e.id for e in bench.list_executions() if e.status.value == "running"]
        if running and len(bench.get_checkpoints(running[0], limit=5)) >= 5:
            return running[0]
    return None


async def test_cancel_stops_a_cli_run_of_another_process(
    start_daemon: StartDaemon, flows_ws: Path, no_tracking: dict[str, Any]
) -> None:
    daemon = await start_daemon(flows_ws, **no_tracking)
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wtb", "run", "ticker", "--workspace", str(flows_ws), "--json",
        env=server_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        eid = None
        for _ in range(int(WAIT_S / 0.1)):
            assert cli.returncode is None
            if eid := await asyncio.to_thread(running_execution, flows_ws):
                break
            await asyncio.sleep(0.1)
        assert eid is not None, "the CLI run never got going"
        cancelled = await daemon.request("wtb/cancel", {"executionId": eid})
        assert cancelled["wasRunning"] is True
        assert cancelled["execution"]["status"] == "cancelled"
        await daemon.wait_until(
            lambda: any(n["execution"]["status"] == "cancelled" for n in daemon.of("wtb/executionChanged", eid)),
            "the cancel announced",
        )
        out, _ = await asyncio.wait_for(cli.communicate(), WAIT_S)
    finally:
        if cli.returncode is None:
            cli.kill()
            await cli.wait()
    assert cli.returncode == 0 and json.loads(out)["status"] == "cancelled"
    assert await asyncio.to_thread(stored_status, flows_ws, eid) == "cancelled"

