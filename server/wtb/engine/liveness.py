"""Runs whose process died, and cancelling a run from outside its process.

A run holds its execution's lock (``wtb.locks``, an ``fcntl.flock`` the kernel drops when
the holder dies) from before the controller marks it ``running`` until after it records
how it ended; a batch driver, which marks its variants ``running`` while they run
elsewhere, holds its batch's lock instead. So an execution that is ``running`` while its
lock (and its batch's) can be taken right now has no live process: ``kill -9``, a
segfault or ``os._exit`` ended it. :func:`reap_dead_runs`, run on every open of a data
dir, marks those ``failed`` (``ProcessDied``), keeping their checkpoints, so that they can
be resumed, rolled back or forked. It holds the lock while it checks and writes, so a run
that starts in another process meanwhile waits for it and is never taken for dead.
``pending`` executions never started and are left alone.

:func:`cancel` ends a ``running`` execution from any process: one without a live owner
at once; a live one by a cancel request (a file next to the lock) that the controller
looks for before each step, then stops, recording ``cancelled``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from wtb.engine import relink
from wtb.errors import BusyError, InvalidArgumentError, InvalidStateError, UnknownCheckpointError, UnsafePathError
from wtb.models import Execution, ExecutionError, ExecutionStatus

if TYPE_CHECKING:
    from wtb.engine.services import Services

logger = logging.getLogger(__name__)

PROCESS_DIED = "ProcessDied"
ErrorFor = Callable[[list[str]], ExecutionError]  # the error to record, given the nodes it was to run next
CANCEL_POLL_S = 0.05


def reap_dead_runs(services: Services) -> list[str]:
    """Mark every ``running`` execution without a live process ``failed``; returns their ids.

    It also runs on an untrusted open (``trusted=False``, an untrusted workspace's daemon,
    which never writes the workspace's files): it writes only WTB's own ``wtb.db`` rows,
    never a workspace file, imports no workflow code (the checkpoint it reads goes through
    that open's strict deserializer), so it is as safe there as listing the executions, and
    without it such a daemon would show a dead run as running forever.
    """
    reaped = []
    for execution_id in services.executions.ids_with_status(ExecutionStatus.RUNNING):
        try:
            if _end_if_ownerless(services, execution_id, ExecutionStatus.FAILED, _died):
                reaped.append(execution_id)
        except (UnsafePathError, OSError) as exc:  # e.g. a planted link for the locks folder: not this open's job
            logger.warning("could not check whether run %s is alive: %s", execution_id, exc)
    return reaped


def cancel(services: Services, execution_id: str, timeout_s: float = 5.0) -> Execution:
    """End a ``running`` execution; wait up to ``timeout_s`` for a live run to stop.

    Returns the execution as it is then: ``cancelled`` (or however it ended, had it
    finished first), or still ``running`` when its current node outlasted the timeout (the
    request stands: it stops before its next step).
    """
    if not timeout_s >= 0:
        raise InvalidArgumentError("The cancel timeout must be zero or more seconds.")
    execution = services.executions.get(execution_id)
    _check_cancellable(execution)
    if execution.batch_id and _held(services, execution.batch_id):
        raise InvalidStateError(
            f"Execution {execution_id} is a variant of batch {execution.batch_id}, run by its driver: "
            f"cancel the batch (`wtb batch-cancel {execution.batch_id}`)."
        )
    if _end_if_ownerless(services, execution_id, ExecutionStatus.CANCELLED, _cancelled_dead) is not None:
        return services.executions.get(execution_id)
    services.locks.request_cancel(execution_id)
    deadline = time.monotonic() + timeout_s
    while True:
        current = services.executions.get(execution_id)
        if current.status is not ExecutionStatus.RUNNING or time.monotonic() >= deadline:
            return current
        time.sleep(CANCEL_POLL_S)


def _check_cancellable(execution: Execution) -> None:
    status = execution.status
    if status.is_final:
        error = execution.error if status is ExecutionStatus.FAILED else None
        why = f" ({error.type}: {error.message})" if error else ""
        raise InvalidStateError(f"Execution {execution.id} is already {status.value}{why}.")
    if status is not ExecutionStatus.RUNNING:
        raise InvalidStateError(f"Execution {execution.id} is {status.value}, not running: there is nothing to cancel.")


def _end_if_ownerless(
    services: Services, execution_id: str, status: ExecutionStatus, error: ErrorFor
) -> bool | None:
    """End the execution when no live process owns it: ``None`` when one does, else whether
    it was still ``running`` (and so was ended here)."""
    try:
        with services.locks.execution(execution_id):
            execution = services.executions.get(execution_id)
            if execution.batch_id and _held(services, execution.batch_id):
                return None
            head, next_nodes = _latest(services, execution)
            ended = services.executions.end_running(execution_id, status, error(next_nodes), head)
            if ended:
                relink.try_relink_lost(services, execution)
            return ended
    except BusyError:
        return None


def _held(services: Services, batch_id: str) -> bool:
    """Whether a live batch driver holds the batch's lock."""
    try:
        with services.locks.batch(batch_id):
            return False
    except BusyError:
        return True


def _latest(services: Services, execution: Execution) -> tuple[str | None, list[str]]:
    """The thread's newest checkpoint (the head the run reached) and the nodes it was to run next."""
    try:
        found = services.adapter.get_tuple(execution.thread_id, None)
    except UnknownCheckpointError:
        return None, []
    return str(found.checkpoint["id"]), services.adapter.view(found, execution.id).next


def _died(next_nodes: list[str]) -> ExecutionError:
    return ExecutionError(
        node=next_nodes[0] if next_nodes else None,
        type=PROCESS_DIED,
        message=(
            "The run's process died (killed, crashed or exited) before the run finished; its checkpoints are "
            "kept: resume it, roll it back or fork it."
        ),
    )


def _cancelled_dead(next_nodes: list[str]) -> ExecutionError:
    return ExecutionError(
        node=next_nodes[0] if next_nodes else None,
        type="Cancelled",
        message="Cancelled; the run's process had already died. Its checkpoints are kept.",
    )
