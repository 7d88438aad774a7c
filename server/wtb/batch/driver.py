"""The run of one planned batch: records, the scheduling loop, merges, progress, cancel.

:class:`BatchDriver` owns everything between "the batch is planned" and "its result is
stored": it creates the batch and execution rows, keeps the pool busy, merges each
bundle as it comes back (after handing the freed actor its next variant), stops running
variants on cancel or timeout, and emits the progress events.

Cancel reaches a driver two ways: the in-process flag (:func:`cancel_in_process`, what
``RayBatchTestRunner.cancel`` and the daemon use) and ``batch_tests.status =
'cancelling'``, which the loop polls so that ``wtb batch-cancel`` works from another process.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from wtb.batch import files
from wtb.batch.bundle import VariantBundle
from wtb.batch.merge import merge_bundle
from wtb.batch.pool import Outcome, Pool
from wtb.batch.result import BatchResult, VariantResult, compare
from wtb.batch.task import VariantTask
from wtb.config import WorkflowProject
from wtb.engine import inspection
from wtb.engine.services import Services
from wtb.models import ExecutionError, ExecutionStatus
from wtb.store.batches import CANCELLING, BatchStore

logger = logging.getLogger(__name__)

ProgressSink = Callable[[dict[str, Any]], None]

POLL_S = 0.25
CANCEL_POLL_S = 0.5

_running: dict[str, threading.Event] = {}
_running_lock = threading.Lock()


@dataclass
class BatchPlan:
    """A batch ready to run: its tasks and the files every variant starts from."""

    batch_id: str
    project: WorkflowProject
    tasks: list[VariantTask]
    base_files: bytes | None
    base_snapshot: str | None
    from_checkpoint: dict[str, str] | None
    max_retries: int = 2


class BatchDriver:
    """One batch's run: records, the scheduling loop, merges and progress."""

    def __init__(
        self,
        services: Services,
        plan: BatchPlan,
        pool: Pool,
        pool_size: int,
        cancel: threading.Event,
        on_progress: ProgressSink | None,
    ) -> None:
        self.services = services
        self.plan = plan
        self.pool = pool
        self.pool_size = pool_size
        self.cancel = cancel
        self.on_progress = on_progress
        self.store = BatchStore(self.services.db)
        self.results: dict[str, VariantResult] = {}
        self.pending: deque[VariantTask] = deque(plan.tasks)
        self.lost: dict[str, list[str]] = {}  # execution id → why each attempt lost its node
        self.shipped: dict[str, dict[str, int]] = {}
        self.created_at = time.time()
        self.timeout_s = plan.project.execution.timeout_s

    def run(self) -> BatchResult:
        """Record the batch, run it to its end, store and return the result (the pool is closed after).

        The driver holds the batch's lock throughout: its variants marked ``running`` run in
        other processes, and the lock tells an open of this data dir that they have a live
        owner (``wtb.engine.liveness``).
        """
        with self.services.locks.batch(self.plan.batch_id, timeout_s=5.0):
            return self._run()

    def _run(self) -> BatchResult:
        try:
            plan = self.plan
            specs = [{**t.variant.to_dict(), "execution_id": t.execution_id} for t in plan.tasks]
            record = self.store.create(plan.batch_id, plan.project.name, specs)
            self.created_at = record.created_at
            self._create_executions()
            self._emit("batch", status="running", message=f"{len(plan.tasks)} variants, {self.pool_size} at a time")
            try:
                cancelled = self._loop()
            except BaseException:  # Ctrl-C, SIGTERM from the daemon, or a bug: leave nothing pending or running
                self._abandon("The batch driver stopped (interrupted or failed) before this variant finished.")
                raise
        finally:
            self.pool.close()
        return self._finish("cancelled" if cancelled else self._final_status())

    def _abandon(self, message: str) -> None:
        """Best effort on the way out: the original exception is what the caller must see."""
        with contextlib.suppress(Exception):
            self._stop_all(message)
        for task in self.plan.tasks:  # e.g. a variant collected from the pool but not yet merged
            if task.execution_id not in self.results:
                with contextlib.suppress(Exception):
                    self._cancelled(task, message)
        with contextlib.suppress(Exception):
            self._finish("cancelled")

    # -- the loop --------------------------------------------------------------------------
    def _loop(self) -> bool:
        pending = self.pending
        last_poll = 0.0
        while pending or self.pool.running():
            if time.monotonic() - last_poll > CANCEL_POLL_S:
                last_poll = time.monotonic()
                if self.store.status(self.plan.batch_id) == CANCELLING:
                    self.cancel.set()
            if self.cancel.is_set():
                self._stop_all("The batch was cancelled before this variant finished.")
                return True
            self._submit(pending)
            outcomes = self.pool.wait(POLL_S)
            self._submit(pending)  # keep the freed actors busy while the driver merges
            for outcome in outcomes:
                self._settle(outcome)
            self._check_timeouts()
            starved = self.pool.starved()
            if starved and pending:
                while pending:
                    self._fail(pending.popleft(), ExecutionError(None, "NoWorker", starved), ran=False)
        return False

    def _submit(self, pending: deque[VariantTask]) -> None:
        while pending and self.pool.idle() and not self.cancel.is_set():
            task = pending.popleft()
            self.pool.submit(task)
            self.services.executions.set_status(task.execution_id, ExecutionStatus.RUNNING)
            self._emit("variant", variant=task.variant.name, execution_id=task.execution_id, status="running")

    def _check_timeouts(self) -> None:
        if not self.timeout_s:
            return
        now = time.time()
        for task, started in self.pool.running():
            if now - started > self.timeout_s:
                reason = ExecutionError(
                    node=None,
                    type="Timeout",
                    message=f"Variant {task.variant.name!r} ran longer than {self.timeout_s:g}s "
                    "(ExecutionConfig.timeout_s).",
                )
                outcome = self.pool.stop(task.execution_id, reason, replace=bool(self.pending))
                if outcome is not None:
                    self._settle(outcome)

    def _stop_all(self, message: str) -> None:
        """Stop the running variants and drop the pending ones; all become ``cancelled``."""
        for task, _ in self.pool.running():
            outcome = self.pool.stop(task.execution_id, ExecutionError(None, "Cancelled", message), replace=False)
            if outcome is not None:
                self._cancelled(task, message, outcome.started)
        while self.pending:
            self._cancelled(self.pending.popleft(), "The batch was cancelled before this variant started.")

    # -- outcomes --------------------------------------------------------------------------
    def _settle(self, outcome: Outcome) -> None:
        task = outcome.task
        duration = time.time() - outcome.started
        sent = self.shipped.setdefault(task.execution_id, {"task": 0, "result": 0})  # summed over attempts
        sent["task"] += outcome.sent_bytes
        sent["result"] += len(outcome.bundle or b"")
        if outcome.bundle is not None:
            try:
                bundle = VariantBundle.unpack(outcome.bundle)
                merge_bundle(self.services, bundle)
            except Exception as exc:
                logger.exception("merging variant %s failed", task.variant.name)
                outcome.error = ExecutionError(None, type(exc).__name__, f"Merging the variant's results failed: {exc}")
            else:
                self._record(task, bundle)
                return
        error = outcome.error or ExecutionError(None, "Unknown", "The variant returned nothing.")
        if outcome.node_lost:
            final = self._retry(task, error)
            if final is None:
                return
            self._fail(task, final, duration, outcome.worker, ran=False)
            return
        self._fail(task, error, duration, outcome.worker)

    def _retry(self, task: VariantTask, error: ExecutionError) -> ExecutionError | None:
        """Queue a variant whose node was lost to run again (first in line), up to ``max_retries`` times.

        Returns ``None`` when it was queued, else the error to fail it with.
        """
        lost = self.lost.setdefault(task.execution_id, [])
        lost.append(error.message)
        if len(lost) > self.plan.max_retries:
            return replace(error, message=f"{error.message} (it lost its node {len(lost)} times; "
                                          f"max_retries={self.plan.max_retries})")
        self.pending.appendleft(task)
        self.services.executions.set_status(task.execution_id, ExecutionStatus.PENDING)
        self._emit("variant", variant=task.variant.name, execution_id=task.execution_id, status="retrying",
                   error=f"its node was lost; attempt {len(lost) + 1} of {self.plan.max_retries + 1} next")
        return None

    def _fail(self, task: VariantTask, error: ExecutionError, duration: float | None = None,
              worker: dict[str, Any] | None = None, ran: bool = True) -> None:
        """Record a variant as failed; ``ran=False``: its last attempt was a lost one (or none began)."""
        self.services.executions.set_status(task.execution_id, ExecutionStatus.FAILED, error)
        self._add(VariantResult(task.variant.name, task.execution_id, "failed", error=error,
                                duration_s=None if duration is None else round(duration, 6),
                                spec=task.variant.to_dict(), **self._where(task, dict(worker or {}), ran)))

    def _where(self, task: VariantTask, worker: dict[str, Any], ran: bool = True) -> dict[str, Any]:
        """The variant result's fields on where and how often it ran, and what it shipped."""
        lost = self.lost.get(task.execution_id, [])
        return {"node_id": worker.get("node_id"), "worker": worker, "attempts": len(lost) + int(ran),
                "lost": list(lost), "shipped": self.shipped.get(task.execution_id, {})}

    def _record(self, task: VariantTask, bundle: VariantBundle) -> None:
        execution = inspection.get_execution(self.services, task.execution_id)
        state = {k: v for k, v in execution.state.items() if k != "_output_files"}
        self._add(
            VariantResult(
                name=task.variant.name,
                execution_id=task.execution_id,
                status=execution.status.value,
                state=state,
                error=execution.error,
                duration_s=bundle.duration_s,
                node_timings=dict(bundle.node_timings),
                files=dict(bundle.produced),
                checkpoints=len(bundle.checkpoints),
                spec=task.variant.to_dict(),
                **self._where(task, dict(bundle.worker)),
            )
        )

    def _cancelled(self, task: VariantTask, message: str, started: float | None = None) -> None:
        error = ExecutionError(None, "Cancelled", message)
        self.services.executions.set_status(task.execution_id, ExecutionStatus.CANCELLED, error)
        duration = round(time.time() - started, 6) if started else None
        self._add(VariantResult(task.variant.name, task.execution_id, "cancelled", error=error,
                                duration_s=duration, spec=task.variant.to_dict()))

    def _add(self, result: VariantResult) -> None:
        self.results[result.execution_id] = result
        self._emit(
            "variant", variant=result.name, execution_id=result.execution_id, status=result.status,
            error=result.reason, duration_s=result.duration_s, node_id=result.node_id,
        )

    # -- records and events ----------------------------------------------------------------
    def _create_executions(self) -> None:
        store = self.services.executions
        source = self.plan.tasks[0].source if self.plan.tasks else None
        for task in self.plan.tasks:
            state = self.services.adapter.check_serializable(dict(task.variant.initial_state), task.variant.name)
            store.create(
                task.project.name,
                initial_state=state if source is None else None,
                config=task.config,
                name=task.variant.name,
                parent_id=source.execution_id if source else None,
                parent_checkpoint_id=source.checkpoint_id if source else None,
                batch_id=task.batch_id,
                execution_id=task.execution_id,
            )

    def _final_status(self) -> str:
        statuses = {r.status for r in self.results.values()}
        if "cancelled" in statuses:
            return "cancelled"
        return "failed" if "failed" in statuses else "completed"

    def _finish(self, status: str) -> BatchResult:
        ordered = [self.results[t.execution_id] for t in self.plan.tasks if t.execution_id in self.results]
        produced = sorted({path for r in ordered for path in r.files})
        base = files.hashes_at(self.services, self.plan.base_snapshot, produced)
        shipped = {"base": self.pool.base_bytes,
                    "tasks": sum(s.get("task", 0) for s in self.shipped.values()),
                    "results": sum(s.get("result", 0) for s in self.shipped.values())}
        result = BatchResult(
            batch_id=self.plan.batch_id,
            project=self.plan.project.name,
            status=status,
            variants=ordered,
            created_at=self.created_at,
            finished_at=time.time(),
            from_checkpoint=self.plan.from_checkpoint,
            pool_size=self.pool_size,
            warm_actors=self.pool.reused,
            base_files=base,
            shipped=shipped,
        )
        result.comparison = compare(ordered, base)
        self.store.finish(self.plan.batch_id, status, result.to_dict())
        self._emit("batch", status=status, message=f"batch {status}")
        return result

    def _emit(self, kind: str, **fields: Any) -> None:
        if self.on_progress is None:
            return
        total = len(self.plan.tasks)
        done = len(self.results)
        event = {"type": kind, "batch_id": self.plan.batch_id, "project": self.plan.project.name,
                 "total": total, "done": done, **fields}
        if kind == "variant":
            took = f" in {fields['duration_s']:.2f}s" if fields.get("duration_s") is not None else ""
            why = f": {fields['error']}" if fields.get("error") else ""
            event["message"] = f"[{done}/{total}] {fields['variant']} {fields['status']}{took}{why}"
        try:
            self.on_progress(event)
        except Exception:
            logger.exception("on_progress callback failed")


def cancel_in_process(batch_id: str | None = None) -> list[str]:
    """Set the cancel flag of batches driven by this process (all of them when ``None``)."""
    with _running_lock:
        chosen = [b for b in _running if batch_id is None or b == batch_id or b.startswith(batch_id)]
        for key in chosen:
            _running[key].set()
    return chosen


def register(batch_id: str) -> threading.Event:
    """The cancel flag of a batch this process is about to drive."""
    event = threading.Event()
    with _running_lock:
        _running[batch_id] = event
    return event


def unregister(batch_id: str) -> None:
    with _running_lock:
        _running.pop(batch_id, None)
