"""Rollback and its undo: state and files together, journaled so a crash never leaves a mix.

Order of a rollback, all under the workspace lock and the execution's lock (the head and
status it records as "previous" are read there too, so two rollbacks at once cannot both
record the same previous head):

1. check that the target's files can be read: its checkpoint has a snapshot in
   ``filetrack.db`` (else refuse: the state would move without the files);
2. snapshot the workspace as it is now (that is what ``undo`` returns to);
3. plan the restore and verify every blob it needs; only then write the intent to the
   outbox (target checkpoint, target snapshot, previous head) and pin the undo point.
   A target whose files cannot be read is refused here: nothing changed, no journal entry;
4. restore the target snapshot's files (temp file + rename, idempotent);
5. in one transaction, move the head and mark the outbox entry done.

A rollback that fails after step 3 (a blob that went bad after its check, a full disk, an
interrupt) puts the workspace back to its undo point and closes its entry as ``failed``:
the data directory stays usable and nothing is replayed later.

On the next open of the data dir, :meth:`RollbackService.recover` finishes every entry a
process that *died* left pending (a pending entry while the workspace lock is free, since
a live rollback holds that lock from its entry's creation to its closing): restoring is
idempotent, so the workspace ends exactly at the target. If that replay fails too, the
workspace goes back to the undo point and the entry is closed as failed; either way a
warning says what happened (the CLI prints it). Fault points (:mod:`wtb.faults`:
``rollback.after_journal``, ``rollback.file_written``, ``rollback.before_head``) let the
crash tests kill the process at each step to prove it.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from wtb import faults
from wtb.engine.state_adapter import StateAdapter
from wtb.errors import BusyError, InvalidStateError, RollbackError, WTBError
from wtb.locks import Locks
from wtb.models import ExecutionStatus, RollbackResult
from wtb.store.db import Database
from wtb.store.executions import ExecutionStore
from wtb.store.outbox import Outbox, OutboxEntry

if TYPE_CHECKING:
    from wtb.filetrack.restore import RestorePlan

log = logging.getLogger(__name__)

KINDS = ("rollback", "undo_rollback")


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
        status = ExecutionStatus.PAUSED if self._adapter.due_next(found, execution.id) else ExecutionStatus.COMPLETED
        with self._locks.workspace(), self._locks.execution(execution_id, timeout_s=1.0):
            execution = self._executions.get(execution_id)  # head and status as they are now, under the locks
            if execution.status is ExecutionStatus.RUNNING:
                raise InvalidStateError(f"Execution {execution_id} is running; cancel it before rolling back.")
            payload = {
                "target_checkpoint": checkpoint_id,
                "target_snapshot": self._target_snapshot(execution_id, checkpoint_id),
                "target_status": status.value,
                "previous_head": self._adapter.head_of(execution),
                "previous_status": execution.status.value,
                "undo_snapshot": None,  # taken in _journaled
            }
            return self._journaled("rollback", execution_id, payload)

    def undo(self, execution_id: str) -> RollbackResult:
        self._executions.get(execution_id)
        with self._locks.workspace(), self._locks.execution(execution_id, timeout_s=1.0):
            execution = self._executions.get(execution_id)
            if execution.status is ExecutionStatus.RUNNING:
                raise InvalidStateError(f"Execution {execution_id} is running; cancel it before undoing its rollback.")
            last = self._outbox.latest_done("rollback", execution_id)
            if last is None:
                raise InvalidStateError(f"Execution {execution_id} has no rollback to undo.")
            payload = {
                "target_checkpoint": last.payload["previous_head"],
                "target_snapshot": last.payload["undo_snapshot"],
                "target_status": last.payload["previous_status"],
                "previous_head": self._adapter.head_of(execution),
                "previous_status": execution.status.value,
                "undo_snapshot": None,
                "undoes": last.id,
            }
            return self._journaled("undo_rollback", execution_id, payload)

    def recover(self) -> list[RollbackResult]:
        """Finish every rollback a process that died left half-done (call before anything else runs).

        A live rollback holds the workspace lock for as long as its entry is pending, so the
        entries read under that lock are those of dead processes. One that cannot be finished
        is unwound and closed as failed, with a warning: it never keeps the data dir from opening.
        """
        if not self._pending():
            return []
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self._locks.workspace())
            except BusyError:
                log.info("a rollback is under way in another process; it closes its own journal entry")
                return []
            results = [self._recover(entry) for entry in self._pending()]
        return [result for result in results if result is not None]

    # -- steps --

    def _pending(self) -> list[OutboxEntry]:
        return sorted((e for kind in KINDS for e in self._outbox.pending(kind)), key=lambda e: e.id)

    def _target_snapshot(self, execution_id: str, checkpoint_id: str) -> str | None:
        """The snapshot of the target's files; refuses a checkpoint without one (the state would
        move without the files) while file tracking is on."""
        if self._tracker is None:
            return None
        snapshot: str | None = self._tracker.checkpoint_snapshot(checkpoint_id)
        if snapshot is None:
            raise InvalidStateError(
                f"Cannot roll back execution {execution_id} to checkpoint {checkpoint_id}: filetrack.db has no "
                "file snapshot of it, so its files cannot be restored (nothing was changed). If filetrack.db was "
                "replaced or emptied, put the original back; if file tracking was off when the checkpoint was "
                "taken, roll back with file tracking off."
            )
        return snapshot

    def _journaled(self, kind: str, execution_id: str, payload: dict[str, Any]) -> RollbackResult:
        """Steps 2-5 of a rollback or an undo (the locks held): verify, journal, restore, move the head."""
        journaled: list[OutboxEntry] = []
        tracker, target = self._tracker, payload["target_snapshot"]
        before: str | None = None
        if tracker is not None and target:
            before = tracker.snapshot()
            payload["undo_snapshot" if kind == "rollback" else "before_snapshot"] = before

        def journal(_plan: object = None) -> None:  # once the target's blobs are verified, before any write
            entry = OutboxEntry(self._outbox.add(kind, execution_id, payload), kind, execution_id, payload)
            journaled.append(entry)
            if tracker is not None and payload["undo_snapshot"]:
                tracker.pin(_pin_name(entry.id), payload["undo_snapshot"])
            faults.hit("rollback.after_journal")

        try:
            plan = None
            if tracker is not None and target:
                plan = tracker.restore(target, on_file=_file_written, current=before, before_write=journal)
            else:
                journal()
            faults.hit("rollback.before_head")
            return self._finish(journaled[0], plan)
        except BaseException as exc:
            what = _describe(kind, execution_id, payload)
            if not journaled:  # refused before anything was written or journaled
                error = _reworded(exc, f"Cannot {what}: {exc} (nothing was changed).")
                if error is exc:
                    raise
                raise error from None
            unwound = self._unwind(journaled[0], before)
            outcome = (
                "the workspace was put back as it was, and nothing changed"
                if unwound
                else f"putting the workspace back failed too; its files from before are kept as snapshot {before}"
            )
            error = _reworded(exc, f"Could not {what}: {exc}; {outcome}.")
            if error is exc:
                raise
            raise error from exc

    def _finish(self, entry: OutboxEntry, plan: RestorePlan | None) -> RollbackResult:
        """Step 5: move the head and close the entry in one transaction."""
        payload = entry.payload
        execution_id = str(entry.execution_id)
        with self._db.transaction() as conn:
            self._executions.move_head(execution_id, payload["target_checkpoint"], payload["target_status"], conn)
            self._outbox.mark(entry.id, "done", conn)
            if "undoes" in payload:
                self._outbox.mark(payload["undoes"], "undone", conn)
        return RollbackResult(
            execution_id=execution_id,
            checkpoint_id=payload["target_checkpoint"],
            previous_checkpoint_id=payload["previous_head"],
            files_written=list(plan.writes) if plan is not None else [],
            files_removed=list(plan.deletes) if plan is not None else [],
            undo_snapshot_id=payload["undo_snapshot"],
            skipped=list(plan.skipped) if plan is not None else [],
        )

    def _unwind(self, entry: OutboxEntry, before: str | None) -> bool:
        """Put the workspace back to ``before`` and close the entry as failed; whether the files went back."""
        restored = self._tracker is None or not before  # nothing to put back
        if self._tracker is not None and before:
            try:
                self._tracker.restore(before)
                restored = True
            except Exception as exc:
                log.warning("could not put the workspace back to snapshot %s: %s", before, exc)
        try:
            self._outbox.mark(entry.id, "failed")
        except Exception as exc:  # the entry stays pending: the next open finishes it forward (consistent too)
            log.warning("could not close journal entry %s as failed: %s", entry.id, exc)
        if restored and self._tracker is not None and entry.payload["undo_snapshot"]:
            with contextlib.suppress(Exception):
                self._tracker.unpin(_pin_name(entry.id))  # nothing to undo: the rollback did not happen
        return restored

    def _recover(self, entry: OutboxEntry) -> RollbackResult | None:
        """Finish one entry of a dead process, or unwind it and close it as failed."""
        payload = entry.payload
        title = _title(entry.kind, str(entry.execution_id), payload)
        try:
            plan = None
            if self._tracker and payload["target_snapshot"]:
                plan = self._tracker.restore(payload["target_snapshot"], on_file=_file_written)
            result = self._finish(entry, plan)
        except Exception as exc:
            before = payload.get("undo_snapshot") or payload.get("before_snapshot")
            had_files = bool(self._tracker and payload["target_snapshot"])
            if self._unwind(entry, before) and (before or not had_files):
                outcome = (
                    f"its files were put back as they were before it (execution {entry.execution_id} stays at "
                    f"checkpoint {payload['previous_head']})"
                )
            else:
                outcome = "the workspace may hold files of both checkpoints: roll back again once the store is fixed"
            log.warning("could not finish the interrupted %s: %s; %s; closed it as failed", title, exc, outcome)
            return None
        log.warning("finished the interrupted %s (the process doing it had died)", title)
        return result


def _describe(kind: str, execution_id: str, payload: dict[str, Any]) -> str:
    """What an entry does, as a verb phrase: "roll back execution E to checkpoint C"."""
    if kind == "undo_rollback":
        return f"undo the last rollback of execution {execution_id} (back to checkpoint {payload['target_checkpoint']})"
    return f"roll back execution {execution_id} to checkpoint {payload['target_checkpoint']}"


def _title(kind: str, execution_id: str, payload: dict[str, Any]) -> str:
    """The same as a noun: "rollback of execution E to checkpoint C"."""
    if kind == "undo_rollback":
        return f"undo of execution {execution_id}'s last rollback (back to checkpoint {payload['target_checkpoint']})"
    return f"rollback of execution {execution_id} to checkpoint {payload['target_checkpoint']}"


def _reworded(exc: BaseException, message: str) -> BaseException:
    """The same kind of WTB error with a message that says what happened, an OS error as a
    :class:`RollbackError`; anything else (a bug, an interrupt) as it is."""
    if isinstance(exc, WTBError):
        try:
            return type(exc)(message)
        except TypeError:
            return RollbackError(message)
    if isinstance(exc, OSError):
        return RollbackError(message)
    return exc


def _pin_name(entry_id: int) -> str:
    return f"undo-rollback-{entry_id}"


def _file_written(path: str) -> None:
    """Each file a rollback restored: a fault point, so crash tests can stop it half-way."""
    faults.hit("rollback.file_written")

