"""Rollback and its undo: state and files together, journaled so a crash never leaves a mix.

Order of a rollback (each step survives a crash after it):

1. snapshot the workspace as it is now and pin it (that is what ``undo`` returns to);
2. write the intent to the outbox (target checkpoint, target snapshot, previous head);
3. restore the target snapshot's files (temp file + rename, idempotent);
4. in one transaction, move the head and mark the outbox entry done.

On the next open of the data dir, :meth:`RollbackService.recover` replays every pending
entry from step 3: restoring is idempotent, so the workspace ends exactly at the target.
Fault points (:mod:`wtb.faults`: ``rollback.after_journal``, ``rollback.file_written``,
``rollback.before_head``) let the crash tests kill the process at each step to prove it.
"""

from __future__ import annotations

from typing import Any

from wtb import faults
from wtb.engine.state_adapter import StateAdapter, next_nodes
from wtb.errors import InvalidStateError
from wtb.locks import Locks
from wtb.models import ExecutionStatus, RollbackResult
from wtb.store.db import Database
from wtb.store.executions import ExecutionStore
from wtb.store.outbox import Outbox, OutboxEntry


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
            faults.hit("rollback.after_journal")
        written: list[str] = []
        removed: list[str] = []
        if self._tracker and payload["target_snapshot"]:
            plan = self._tracker.restore(
                payload["target_snapshot"],
                on_file=_file_written,
                current=None if recovering else payload["undo_snapshot"],
            )
            written, removed = list(plan.writes), list(plan.deletes)
        if not recovering:
            faults.hit("rollback.before_head")
        with self._db.transaction() as conn:
            self._executions.move_head(execution_id, payload["target_checkpoint"], payload["target_status"], conn)
            self._outbox.mark(entry.id, "done", conn)
            if "undoes" in payload:
                self._outbox.mark(payload["undoes"], "undone", conn)
        return RollbackResult(
            execution_id=execution_id,
            checkpoint_id=payload["target_checkpoint"],
            previous_checkpoint_id=payload["previous_head"],
            files_written=written,
            files_removed=removed,
            undo_snapshot_id=payload["undo_snapshot"],
        )


def _file_written(path: str) -> None:
    """Each file a rollback restored: a fault point, so crash tests can stop it half-way."""
    faults.hit("rollback.file_written")
