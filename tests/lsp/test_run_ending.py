"""How the daemon records the end of a worker that died: its own account wins over a
``ProcessDied`` that another process (the next run's worker, reaping runs whose lock is
free as it opens the data dir) wrote first — a race seen in CI with runs side by side."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from wtb.engine.liveness import PROCESS_DIED
from wtb.lsp.runs import Run, RunManager


async def _dead_run() -> Run:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "import os; os._exit(1)")
    await process.wait()
    loop = asyncio.get_running_loop()
    return Run("e1", "exits", process, None, None, loop.create_future(), loop.create_future(), last_node="die")


async def test_a_reaped_run_gets_the_daemons_account_of_its_worker() -> None:
    manager = RunManager(ls=None)  # type: ignore[arg-type]  # _ending_error reads the run only
    run = await _dead_run()
    ending: Any = manager._ending_error(run, "failed", PROCESS_DIED)
    assert ending is not None
    status, error = ending
    assert status == "failed" and error.type == "WorkerDied"
    assert "exited with code 1" in error.message and "'die'" in error.message


async def test_an_end_the_worker_recorded_itself_stays() -> None:
    manager = RunManager(ls=None)  # type: ignore[arg-type]
    run = await _dead_run()
    assert manager._ending_error(run, "failed", "ValueError") is None
    assert manager._ending_error(run, "completed") is None
