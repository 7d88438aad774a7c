"""Runs in worker processes: spawn, follow, time out, cancel, and record how they ended.

Each run is ``python -m wtb.worker`` in its own process group. Its stdout is a stream of
JSON events (see ``wtb.worker``) that become ``wtb/checkpointAdded``,
``wtb/executionChanged`` and ``$/progress``; its stderr (the workflow's own prints) goes
to the client's log. When the worker is cancelled, times out or dies without a final
status, the daemon records the ending itself with ``bench.mark_finished``, so an
execution never stays ``running`` after its process is gone.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import signal
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wtb import errors
from wtb.lsp import protocol as p
from wtb.lsp import records
from wtb.lsp.progress import RunProgress, obtain_token
from wtb.lsp.workers import REFILL_DELAY_S, kill

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer
    from wtb.sdk.bench import WTBTestBench

logger = logging.getLogger(__name__)

TERM_GRACE_S = 3.0
STDERR_TAIL = 40
FINAL = frozenset({"completed", "failed", "cancelled", "paused"})


@dataclass
class Run:
    """A worker process and what the daemon knows about it."""

    execution_id: str
    workflow: str
    process: asyncio.subprocess.Process
    timeout_s: float | None
    progress: RunProgress | None
    done: asyncio.Future[p.ExecutionInfo]
    #: set when the worker got going (None) or refused before running anything (its error event)
    started: asyncio.Future[dict[str, Any] | None]
    stop_reason: str | None = None  # "cancelled" | "timeout" once the daemon stops it
    status: str = "pending"
    last_node: str | None = None
    worker_error: dict[str, Any] | None = None
    last_sent: p.ExecutionInfo | None = None
    stderr_tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=STDERR_TAIL))
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


class RunManager:
    """Starts workers and follows them; one :class:`Run` per running execution."""

    def __init__(self, ls: WtbLanguageServer) -> None:
        self._ls = ls
        self.runs: dict[str, Run] = {}

    def is_running(self, execution_id: str) -> bool:
        return execution_id in self.runs

    async def settle(self, execution_id: str) -> None:
        """Wait for a run that has already reported its end to finish its bookkeeping."""
        run = self.runs.get(execution_id)
        if run is not None and run.status in FINAL:
            await asyncio.shield(run.done)

    async def start(
        self,
        execution: p.ExecutionInfo,
        *,
        resume: bool = False,
        state_updates: dict[str, Any] | None = None,
        timeout_s: float | None = None,
        token: types.ProgressToken | None = None,
        extra_args: list[str] | None = None,
    ) -> Run:
        """Spawn the worker for an existing (pending or paused) execution."""
        if execution.id in self.runs:
            raise errors.BusyError(f"Execution {execution.id} is already running; cancel it first.")
        ls = self._ls
        bench = ls.bench_host
        if bench.workspace is None or bench.data_dir is None:
            raise errors.InvalidStateError("The daemon has no workspace open.")
        args = ["--execution-id", execution.id]
        if resume:
            args.append("--resume")
        if state_updates:
            args += ["--state-updates", json.dumps(state_updates)]
        args += extra_args or []
        # Same tracking settings as the daemon's bench, without a second watcher: a worker's
        # snapshots reconcile by a stat walk and never depend on watcher events.
        args += ["--file-tracking", json.dumps(ls.file_tracking_fields(watch=False))]

        progress_token = await obtain_token(ls, token)
        process = await ls.workers.start(args)
        loop = asyncio.get_running_loop()
        run = Run(
            execution_id=execution.id,
            workflow=execution.workflow,
            process=process,
            timeout_s=timeout_s,
            progress=RunProgress(ls, progress_token, execution.workflow) if progress_token is not None else None,
            done=loop.create_future(),
            started=loop.create_future(),
        )
        self.runs[execution.id] = run
        run.status = execution.status
        ls.log(f"run {execution.id} of {execution.workflow!r}: worker pid {process.pid}", types.MessageType.Info)
        if run.progress is not None:
            run.progress.begin(
                f"{'resuming' if resume else 'starting'} {execution.id}",
                on_cancel=lambda: self._spawn(self.cancel(execution.id)),
            )
        run.tasks.append(asyncio.create_task(self._follow(run)))
        return run

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(_log_task_error)

    async def cancel(self, execution_id: str) -> bool:
        """Stop the worker; the execution becomes ``cancelled``. False if it was not running."""
        run = self.runs.get(execution_id)
        if run is None:
            return False
        if run.stop_reason is None:
            run.stop_reason = "cancelled"
        await self._stop(run)
        await asyncio.shield(run.done)
        return True

    async def wait(self, execution_id: str) -> p.ExecutionInfo | None:
        run = self.runs.get(execution_id)
        return None if run is None else await asyncio.shield(run.done)

    async def shutdown(self) -> None:
        """Cancel every run (daemon shutdown)."""
        for run in list(self.runs.values()):
            run.stop_reason = run.stop_reason or "cancelled"
        await asyncio.gather(*(self.cancel(eid) for eid in list(self.runs)), return_exceptions=True)

    def abandon_all(self, bench: WTBTestBench | None) -> None:
        """At process exit (stdin closed, parent gone): kill every worker, record them cancelled.

        Synchronous on purpose: the event loop may already be gone. Checkpoints are kept.
        """
        from wtb.models import ExecutionStatus

        for run in list(self.runs.values()):
            kill(run.process)
            if bench is None:
                continue
            try:
                current = bench.get_execution(run.execution_id).status
                if not current.is_final and current is not ExecutionStatus.PAUSED:
                    bench.mark_finished(run.execution_id, ExecutionStatus.CANCELLED, None)
            except Exception:
                logger.exception("could not record run %s as cancelled", run.execution_id)
        self.runs.clear()

    # ------------------------------------------------------------------ following

    async def _follow(self, run: Run) -> None:
        stderr_task = asyncio.create_task(self._read_stderr(run))
        try:
            events = asyncio.create_task(self._read_events(run))
            try:
                await asyncio.wait_for(asyncio.shield(events), run.timeout_s)
            except TimeoutError:
                if run.stop_reason is None:
                    run.stop_reason = "timeout"
                await self._stop(run)
                await events
            await run.process.wait()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stderr_task, 2.0)
            final = await self._finish(run)
        except Exception as exc:
            logger.exception("following run %s failed", run.execution_id)
            final = await self._finish_after_crash(run, exc)
        finally:
            stderr_task.cancel()
            self.runs.pop(run.execution_id, None)
            if not run.started.done():
                run.started.set_result(None)
        if not run.done.done():
            run.done.set_result(final)
        self._ls.workers.prepare(REFILL_DELAY_S)

    async def _read_events(self, run: Run) -> None:
        assert run.process.stdout is not None
        while line := await run.process.stdout.readline():
            text = line.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                event = json.loads(text)
            except ValueError:
                self._ls.log(f"[{run.execution_id}] {text}", types.MessageType.Log)
                continue
            try:
                self._on_event(run, event)
            except Exception:
                logger.exception("bad event from worker %s: %s", run.execution_id, text[:500])

    async def _read_stderr(self, run: Run) -> None:
        assert run.process.stderr is not None
        while line := await run.process.stderr.readline():
            text = line.decode("utf-8", errors="replace").rstrip()
            run.stderr_tail.append(text)
            self._ls.log(f"[{run.execution_id}] {text}", types.MessageType.Log)

    def _on_event(self, run: Run, event: dict[str, Any]) -> None:
        kind = event.get("type")
        ls = self._ls
        if not run.started.done() and kind in ("execution", "done", "checkpoint", "node", "error"):
            run.started.set_result(dict(event.get("error") or {}) if kind == "error" else None)
        if kind in ("execution", "done"):
            info = records.execution(event["execution"])
            run.status = info.status
            self._announce(run, info)
        elif kind == "checkpoint":
            cp = records.checkpoint(event["checkpoint"])
            ls.notify_checkpoint(cp)
            if run.progress is not None:
                nodes = ", ".join(cp.writes)
                run.progress.report(f"step {cp.step}: {nodes}" if nodes else f"step {cp.step} ({cp.source})")
        elif kind == "node":
            run.last_node = str(event.get("node"))
            if run.progress is not None:
                run.progress.report(f"running {run.last_node}")
        elif kind == "error":
            run.worker_error = dict(event.get("error") or {})
            ls.log(
                f"run {run.execution_id}: {run.worker_error.get('type')}: {run.worker_error.get('message')}",
                types.MessageType.Error,
            )

    def _announce(self, run: Run, info: p.ExecutionInfo) -> None:
        """``wtb/executionChanged``, unless the client already has exactly this."""
        if info != run.last_sent:
            run.last_sent = info
            self._ls.notify_execution(info)

    # ------------------------------------------------------------------ ending

    async def _stop(self, run: Run) -> None:
        process = run.process
        if process.returncode is not None:
            return
        kill(process, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), TERM_GRACE_S)
        except TimeoutError:
            kill(process)
            await process.wait()

    def _ending_error(self, run: Run, current: str, current_error: str | None = None) -> tuple[str, Any] | None:
        """(status, ExecutionError) the daemon must record, or None when nothing is left to record.

        ``current`` is the status in the database now (``current_error``: its error's type). A
        final status stays as the worker wrote it; a ``paused`` execution whose resume never
        started stays paused (the worker's error is logged); anything else left
        ``pending``/``running`` is ended here. So is a run another process found dead first
        (``ProcessDied``: any open of the data dir, such as the next run's worker, reaps runs
        whose lock is free): the daemon knows how its worker ended, that process did not.
        """
        from wtb.engine.liveness import PROCESS_DIED
        from wtb.models import ExecutionError

        reaped = current == "failed" and current_error == PROCESS_DIED
        if current in ("completed", "failed", "cancelled") and not reaped:
            return None
        if run.stop_reason == "cancelled":
            return "cancelled", None
        if run.stop_reason == "timeout":
            return "failed", ExecutionError(
                node=run.last_node,
                type="Timeout",
                message=f"The run timed out after {run.timeout_s:g} s and was stopped.",
            )
        if current == "paused" and (run.process.returncode == 0 or run.status != "running"):
            return None
        if run.worker_error:
            err = run.worker_error
            return "failed", ExecutionError(
                node=err.get("node") or run.last_node,
                type=str(err.get("type") or "Error"),
                message=str(err.get("message") or ""),
                traceback=str(err.get("traceback") or ""),
            )
        rc = run.process.returncode
        how = f"was killed by signal {_signal_name(-rc)}" if rc is not None and rc < 0 else f"exited with code {rc}"
        return "failed", ExecutionError(
            node=run.last_node,
            type="WorkerDied",
            message=f"The worker process {how} before the run finished"
            + (f" (in node {run.last_node!r})." if run.last_node else "."),
            traceback="\n".join(run.stderr_tail),
        )

    async def _finish(self, run: Run) -> p.ExecutionInfo:
        ls = self._ls
        current = records.execution(await ls.bench_host.call(lambda bench: bench.get_execution(run.execution_id)))
        ending = self._ending_error(run, current.status, current.error.type if current.error else None)
        if ending is not None:
            from wtb.models import ExecutionStatus

            status, error = ending
            ended = ExecutionStatus(status)
            await ls.bench_host.call(lambda bench: bench.mark_finished(run.execution_id, ended, error))
        final = records.execution(await ls.bench_host.call(lambda bench: bench.get_execution(run.execution_id)))
        self._diagnose(run, final)
        self._announce(run, final)
        self._end_progress(run, final, run.worker_error if ending is None else None)
        level = types.MessageType.Info if final.status in ("completed", "paused") else types.MessageType.Warning
        ls.log(f"run {run.execution_id} of {run.workflow!r}: {_describe(final)}", level)
        return final

    def _diagnose(self, run: Run, final: p.ExecutionInfo) -> None:
        """A run that failed to load its workflow marks the failing line; one that got going clears the mark."""
        error = final.error
        if final.status == "failed" and error is not None and error.type == "WorkflowLoadError":
            self._ls.load_diagnostics.report(run.workflow, f"{error.message}\n{error.traceback}")
        elif run.status in ("running", "completed", "paused") or final.status in ("completed", "paused"):
            self._ls.load_diagnostics.clear(run.workflow)

    async def _finish_after_crash(self, run: Run, exc: Exception) -> p.ExecutionInfo:
        kill(run.process)
        try:
            return await self._finish(run)
        except Exception:
            logger.exception("could not record the end of run %s", run.execution_id)
            info = p.ExecutionInfo(
                id=run.execution_id,
                workflow=run.workflow,
                status="failed",
                thread_id="",
                created_at=0.0,
                error=p.ExecutionErrorInfo(type=type(exc).__name__, message=str(exc)),
            )
            self._end_progress(run, info)
            return info

    def _end_progress(self, run: Run, final: p.ExecutionInfo, error: dict[str, Any] | None = None) -> None:
        if run.progress is None:
            return
        message = _describe(final)
        if error and final.status not in ("completed", "failed", "cancelled"):
            message = f"{message} (not resumed: {error.get('type')}: {error.get('message')})"
        run.progress.end(message)


def _describe(info: p.ExecutionInfo) -> str:
    if info.error is not None and info.status == "failed":
        return f"failed: {info.error.type}: {info.error.message}".rstrip(": ")
    return info.status


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _log_task_error(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        logger.error("background task failed: %r", exc)
