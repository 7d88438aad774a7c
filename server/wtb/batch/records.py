"""Reading and cancelling recorded batches: what ``wtb batches``, ``batch-show`` and the daemon call.

A finished batch's result is stored as JSON, so showing it again needs neither Ray nor
the workflow's code: :func:`batch_result` rebuilds the :class:`BatchResult` from the row.
"""

from __future__ import annotations

from wtb.batch.owner import HasServices, services_of
from wtb.batch.result import BatchResult
from wtb.engine.services import Services
from wtb.store.batches import BatchRecord, BatchStore


def list_batches(
    bench: Services | HasServices, project: str | None = None, limit: int = 50, offset: int = 0
) -> list[BatchRecord]:
    """Batches of the data dir, newest first."""
    return BatchStore(services_of(bench).db).list(project, limit, offset)


def get_batch(bench: Services | HasServices, batch_id: str) -> BatchRecord:
    """One batch by id (or unique id prefix), with its variants and, once finished, its result."""
    return BatchStore(services_of(bench).db).get(batch_id)


def batch_result(bench: Services | HasServices, batch_id: str) -> BatchResult | None:
    """The stored result of a finished batch, or ``None`` while it runs."""
    record = get_batch(bench, batch_id)
    return BatchResult.from_dict(record.result) if record.result else None


def cancel_batch(bench: Services | HasServices, batch_id: str) -> BatchRecord:
    """Ask the batch's driver, in this process or another, to stop it; finished variants stay."""
    from wtb.batch.driver import cancel_in_process

    store = BatchStore(services_of(bench).db)
    record = store.request_cancel(store.get(batch_id).id)
    cancel_in_process(record.id)
    return record
