"""Retention: delete old executions so storage does not grow without bound.

An execution survives when it is within the newest ``keep_last`` of its project (when
given) and newer than ``older_than`` (when given). Golden runs, running executions and
(with ``keep_forks_of_kept``) forks of survivors always survive. Deleting removes the
LangGraph thread (``delete_thread``), the checkpoint ↔ snapshot links and the record;
``gc`` then frees the blobs nothing references any more. ``max_storage`` goes on deleting
the oldest unprotected executions until the blob store fits.

A pending execution that never started (no checkpoint, no batch, older than
:data:`PENDING_GRACE_S`) is an orphan, left by a process that died between recording it and
running it: prune always removes it. A younger one may be about to start (the daemon records
it, then its worker runs it) and is kept.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from wtb.engine.services import Services
from wtb.models import Execution, ExecutionStatus

#: How long a pending execution may wait to be started before prune takes it for an orphan.
PENDING_GRACE_S = 60.0


@dataclass
class PruneReport:
    deleted: list[str] = field(default_factory=list)
    kept: int = 0
    blobs_removed: int = 0
    bytes_freed: int = 0
    state_values_removed: int = 0
    state_bytes_freed: int = 0


def prune(
    services: Services,
    keep_last: int | None = None,
    older_than: float | dt.timedelta | None = None,
    keep_golden: bool = True,
    keep_forks_of_kept: bool = True,
    max_storage: int | None = None,
) -> PruneReport:
    executions = services.executions.list(limit=10**9)
    orphans = {e.id for e in executions if _never_started(services, e)}
    protected = _protected(services, executions, keep_golden) - orphans
    survivors = (_survivors(executions, keep_last, older_than) | protected) - orphans
    if keep_forks_of_kept:
        survivors |= _forks_of(executions, survivors)
    doomed = [e for e in executions if e.id not in survivors]
    report = PruneReport()
    _delete(services, doomed, report)
    if max_storage is not None and services.tracker is not None:
        remaining = sorted((e for e in executions if e.id in survivors and e.id not in protected),
                           key=lambda e: e.created_at)
        while remaining and services.tracker.stats().bytes_stored > max_storage:
            _delete(services, [remaining.pop(0)], report)
    report.kept = len(executions) - len(report.deleted)
    state = services.saver.collect_state_values()
    report.state_values_removed = state.values_removed
    report.state_bytes_freed = state.bytes_freed
    return report


def _protected(services: Services, executions: list[Execution], keep_golden: bool) -> set[str]:
    busy = {e.id for e in executions if e.status in (ExecutionStatus.RUNNING, ExecutionStatus.PENDING)}
    return busy | (services.goldens.execution_ids() if keep_golden else set())


def _never_started(services: Services, execution: Execution) -> bool:
    if execution.status is not ExecutionStatus.PENDING or execution.batch_id is not None:
        return False
    if time.time() - execution.created_at < PENDING_GRACE_S:
        return False
    return not services.adapter.history(execution.thread_id, subgraphs=True)


def _survivors(executions: list[Execution], keep_last: int | None, older_than: Any) -> set[str]:
    cutoff = None
    if older_than is not None:
        seconds = older_than.total_seconds() if isinstance(older_than, dt.timedelta) else float(older_than)
        cutoff = time.time() - seconds
    kept: set[str] = set()
    seen_per_project: dict[str, int] = {}
    for execution in executions:  # newest first
        rank = seen_per_project.get(execution.project, 0)
        seen_per_project[execution.project] = rank + 1
        within_last = keep_last is None or rank < keep_last
        recent = cutoff is None or execution.created_at >= cutoff
        if within_last and recent:
            kept.add(execution.id)
    return kept


def _forks_of(executions: list[Execution], kept: set[str]) -> set[str]:
    result = set(kept)
    changed = True
    while changed:
        changed = False
        for execution in executions:
            if execution.parent_id in result and execution.id not in result:
                result.add(execution.id)
                changed = True
    return result - kept


def _delete(services: Services, doomed: list[Execution], report: PruneReport) -> None:
    if not doomed:
        return
    for execution in doomed:
        services.saver.delete_thread(execution.thread_id)
        if services.tracker is not None:
            services.tracker.delete_execution(execution.id)
    services.executions.delete([e.id for e in doomed])
    report.deleted += [e.id for e in doomed]
    if services.tracker is not None:
        tracker = services.tracker
        grace, tracker.gc_grace_s = tracker.gc_grace_s, 0.0  # an explicit prune frees at once
        try:
            gc = tracker.gc()
        finally:
            tracker.gc_grace_s = grace
        report.blobs_removed += gc.blobs_removed
        report.bytes_freed += gc.bytes_freed
