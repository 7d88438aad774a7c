"""Spawning ``python -m wtb.worker`` processes, with one warm worker kept on standby.

A worker spends most of its start-up importing LangGraph and the SDK (seconds on a busy
machine). The daemon keeps one worker that has done that and waits on stdin
(``--standby``); a run hands it its arguments and a fresh standby is started behind it.
Only in a trusted workspace: the standby starts in the workspace (its directory is on
``sys.path``), so even its imports count as running the workspace's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer

logger = logging.getLogger(__name__)

STREAM_LIMIT = 64 * 1024 * 1024  # one event line (a checkpoint with its writes) may be large
REFILL_DELAY_S = 5.0  # a new standby after the last run ended, not while the editor is still busy


def package_root() -> Path:
    """The directory that holds the ``wtb`` package (put on the worker's PYTHONPATH)."""
    import wtb

    return Path(wtb.__file__).resolve().parent.parent


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root()), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    return env


class WorkerPool:
    """Starts workers; keeps one on standby once the workspace is trusted and the bench is open."""

    # The standby is a convenience: any failure to keep one just means a slower start.

    def __init__(self, ls: WtbLanguageServer) -> None:
        self._ls = ls
        self._standby: asyncio.subprocess.Process | None = None
        self._preparing: asyncio.Task[None] | None = None
        self._closed = False
        self._delayed: asyncio.TimerHandle | None = None

    def _delayed_prepare(self) -> None:
        self._delayed = None
        self.prepare()

    def _base_argv(self) -> list[str]:
        host = self._ls.bench_host
        return [
            self._ls.options.python or sys.executable,
            "-m",
            "wtb.worker",
            "--workspace",
            str(host.workspace),
            "--data-dir",
            str(host.data_dir),
        ]

    async def _spawn(self, argv: list[str], stdin: int) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=stdin,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(self._ls.bench_host.workspace),
            env=worker_env(),
            limit=STREAM_LIMIT,
            start_new_session=True,  # its own process group: a stop reaches the workflow's children too
        )

    async def start(self, args: list[str]) -> asyncio.subprocess.Process:
        """A worker running ``args`` (the standby one if it is ready, else a fresh one)."""
        process = self._take_standby()
        if process is not None:
            try:
                assert process.stdin is not None
                process.stdin.write(json.dumps(args).encode() + b"\n")
                await process.stdin.drain()
                process.stdin.close()
            except (BrokenPipeError, ConnectionResetError):
                logger.info("standby worker %s was gone; starting a fresh one", process.pid)
                process = None
        if process is None:
            process = await self._spawn(self._base_argv() + args, asyncio.subprocess.DEVNULL)
        return process

    def _take_standby(self) -> asyncio.subprocess.Process | None:
        process, self._standby = self._standby, None
        if process is None or process.returncode is not None:
            return None
        return process

    def prepare(self, delay_s: float = 0.0) -> None:
        """Start a standby worker in the background (after ``delay_s``) if there is none.

        Only in a trusted workspace, with ``warmWorker`` on, and while no run is going (a
        standby importing LangGraph would slow the run down on a small machine); it is
        called when the bench opens and, with a short delay, whenever the last run ends.
        """
        if delay_s > 0:
            if self._delayed is None or self._delayed.cancelled():
                self._delayed = asyncio.get_running_loop().call_later(delay_s, self._delayed_prepare)
            return
        ls = self._ls
        if self._closed or not ls.options.trusted or not ls.options.warm_worker:
            return
        if ls.bench_host.workspace is None or ls.runs.runs:
            return
        if self._standby is not None or (self._preparing is not None and not self._preparing.done()):
            return
        self._preparing = asyncio.ensure_future(self._prepare())

    async def _prepare(self) -> None:
        try:
            process = await self._spawn([*self._base_argv(), "--standby"], asyncio.subprocess.PIPE)
        except OSError as exc:
            logger.warning("could not start a standby worker: %s", exc)
            return
        if self._closed:
            kill(process)
            return
        self._standby = process

    async def aclose(self) -> None:
        """Stop the standby worker, waiting for one that is being started."""
        self._closed = True
        if self._preparing is not None and not self._preparing.done():
            with contextlib.suppress(Exception):
                await self._preparing
        self.close()

    def close(self) -> None:
        """Stop the standby worker (it has run no workflow code).

        A standby still being started when the loop stops is not lost for long: it waits
        on a pipe from the daemon and exits when that pipe closes.
        """
        self._closed = True
        if self._delayed is not None:
            self._delayed.cancel()
        process, self._standby = self._standby, None
        if process is not None:
            kill(process)


def kill(process: asyncio.subprocess.Process, sig: signal.Signals = signal.SIGKILL) -> None:
    """Signal the worker's whole process group (the workflow may have started children)."""
    if process.returncode is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
