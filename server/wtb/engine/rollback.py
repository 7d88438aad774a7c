"""Rollback and its undo: state and files together, journaled so a crash never leaves a mix.

Order of a rollback (each step survives a crash after it):

1. snapshot the workspace as it is now and pin it (that is what ``undo`` returns to);
2. write the intent to the outbox (target checkpoint, target snapshot, previous head);
3. restore the target snapshot's files (temp file + rename, idempotent);
4. in one transaction, move the head and mark the outbox entry done.

On the next open of the data dir, :meth:`RollbackService.recover` replays every pending
entry from step 3: restoring is idempotent, so the workspace ends exactly at the target.
A test-only environment variable (``WTB_TEST_CRASH_AT``) kills the process at a named
step so the fault tests can prove it.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from wtb.engine.locks import Locks
from wtb.engine.state_adapter import StateAdapter, next_nodes
from wtb.errors import InvalidStateError
from wtb.models import ExecutionStatus, RollbackResult
from wtb.store.db import Database
from wtb.store.executions import ExecutionStore
from wtb.store.outbox import Outbox, OutboxEntry

CRASH_ENV = "WTB_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    """Die like a ``kill -9`` at the named step when a fault test asks for it."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class RollbackService:
    def __init__(
        self,
        db: Database,
        executions: ExecutionStore,
        outbox: Outbox,
        adapter: StateAdapter,
        tracker: Any | None,
        locks: Locks,
    ) -> None:
        self._db = db
        self._executions = executions
        self._outbox = outbox
        self._adapter = adapter
        self._tracker = tracker
        self._locks = locks

    def rollback(self, execution_id: str, checkpoint_id: str) -> RollbackResult:
        execution = self._executions.get(execution_id)
        found = self._adapter.get_tuple(execution.thread_id, checkpoint_id)
        status = ExecutionStatus.PAUSED if next_nodes(found) else ExecutionStatus.COMPLETED
        execution.head_checkpoint_id = self._adapter.head_of(execution)
        target_snapshot = self._tracker.checkpoint_snapshot(checkpoint_id) if self._tracker else None
        with self._locks.workspace(), self._locks.execution(execution_id, timeout_s=1.0):
            if execution.status is ExecutionStatus.RUNNING:
                raise InvalidStateError(f"Execution {execution_id} is running; cancel it before rolling back.")
            undo_snapshot = self._tracker.snapshot() if self._tracker else None
            payload = {
                "target_checkpoint": checkpoint_id,
                "target_snapshot": target_snapshot,
                "target_status": status.value,
                "previous_head": execution.head_checkpoint_id,
                "previous_status": execution.status.value,
                "undo_snapshot": undo_snapshot,
            }
            entry_id = self._outbox.add("rollback", execution_id, payload)
            if self._tracker and undo_snapshot:
                self._tracker.pin(f"undo-rollback-{entry_id}", undo_snapshot)
            return self._apply(OutboxEntry(entry_id, "rollback", execution_id, payload))

    def undo(self, execution_id: str) -> RollbackResult:
        execution = self._executions.get(execution_id)
        execution.head_checkpoint_id = self._adapter.head_of(execution)
        last = self._outbox.latest_done("rollback", execution_id)
        if last is None:
            raise InvalidStateError(f"Execution {execution_id} has no rollback to undo.")
        with self._locks.workspace(), self._locks.execution(execution_id, timeout_s=1.0):
            payload = {
                "target_checkpoint": last.payload["previous_head"],
                "target_snapshot": last.payload["undo_snapshot"],
                "target_status": last.payload["previous_status"],
                "previous_head": execution.head_checkpoint_id,
                "previous_status": execution.status.value,
                "undo_snapshot": None,
                "undoes": last.id,
            }
            entry_id = self._outbox.add("undo_rollback", execution_id, payload)
            return self._apply(OutboxEntry(entry_id, "undo_rollback", execution_id, payload))

    def recover(self) -> list[RollbackResult]:
        """Finish every rollback a crash interrupted (call before anything else runs)."""
        pending = self._outbox.pending("rollback") + self._outbox.pending("undo_rollback")
        if not pending:
            return []
        with self._locks.workspace():
            return [self._apply(entry, recovering=True) for entry in sorted(pending, key=lambda e: e.id)]

    def _apply(self, entry: OutboxEntry, recovering: bool = False) -> RollbackResult:
        payload = entry.payload
        execution_id = str(entry.execution_id)
        if not recovering:
            crash_point("after_journal")
        written: list[str] = []
        removed: list[str] = []
        if self._tracker and payload["target_snapshot"]:
            plan = self._tracker.restore(
                payload["target_snapshot"],
                on_file=_file_crash_counter(),
                current=None if recovering else payload["undo_snapshot"],
            )
            written, removed = list(plan.writes), list(plan.deletes)
        if not recovering:
            crash_point("before_head")
        with self._db.transaction() as conn:
            self._executions.set_head(execution_id, payload["target_checkpoint"], conn)
            conn.execute(
                "UPDATE executions SET status = ? WHERE id = ?", (payload["target_status"], execution_id)
            )
            conn.execute("UPDATE outbox SET status = 'done' WHERE id = ?", (entry.id,))
            if "undoes" in payload:
                conn.execute("UPDATE outbox SET status = 'undone' WHERE id = ?", (payload["undoes"],))
        return RollbackResult(
            execution_id=execution_id,
            checkpoint_id=payload["target_checkpoint"],
            previous_checkpoint_id=payload["previous_head"],
            files_written=written,
            files_removed=removed,
            undo_snapshot_id=payload["undo_snapshot"],
        )


def _file_crash_counter() -> Any:
    """An ``on_file`` callback that dies after N files when ``WTB_TEST_CRASH_AT=after_files:N``."""
    spec = os.environ.get(CRASH_ENV, "")
    if not spec.startswith("after_files:"):
        return None
    limit = int(spec.split(":", 1)[1])
    count = 0

    def on_file(_path: str) -> None:
        nonlocal count
        count += 1
        if count >= limit:
            os.kill(os.getpid(), signal.SIGKILL)

    return on_file
