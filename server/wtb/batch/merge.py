"""The driver's side of a bundle: merge a worker's records and files into the data dir.

Order matters for readers: files first (blobs, trees, checkpoint links), then the
LangGraph checkpoints (through the checkpointer's public ``put``/``put_writes``, see
:mod:`wtb.batch.checkpoints`) and LangGraph's recorded view of them, and the execution
row last. So by the time anyone sees an
execution of the batch as finished, every checkpoint and every file it names is there.
Merging the same bundle again changes nothing.
"""

from __future__ import annotations

from wtb.batch import files
from wtb.batch.bundle import VariantBundle
from wtb.engine.services import Services
from wtb.store.views import from_plain


def merge_bundle(services: Services, bundle: VariantBundle) -> None:
    from wtb.batch.checkpoints import import_checkpoints

    tracker = services.tracker
    if bundle.files and tracker is not None:
        files.import_execution(tracker, bundle.files)
    import_checkpoints(services.checkpoint_path, bundle.checkpoints)
    services.views.put_many(from_plain(view) for view in bundle.views)
    services.executions.import_rows(bundle.execution, final_only=True)
