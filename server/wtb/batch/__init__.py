"""Batches: run many variants of a workflow in parallel on Ray and compare them.

``run_batch(bench, project, variants, ...)`` (what ``bench.run_batch`` delegates to) and
:class:`RayBatchTestRunner` are the entry points; :func:`matrix` builds variants as a
cross product; :class:`BatchResult` holds the outcome and the comparison. See
``docs/batch.md``.

Names are imported lazily: the daemon imports this package on start-up and must not
pay for LangGraph (or Ray, which only :mod:`wtb.batch.cluster` imports) until a batch runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "BatchResult",
    "BatchStore",
    "Comparison",
    "RayBatchTestRunner",
    "Variant",
    "VariantResult",
    "cancel_batch",
    "get_batch",
    "list_batches",
    "load_variants_file",
    "matrix",
    "parse_variants",
    "run_batch",
]

_HOMES = {
    "BatchResult": "wtb.batch.result",
    "Comparison": "wtb.batch.result",
    "VariantResult": "wtb.batch.result",
    "BatchStore": "wtb.store.batches",
    "RayBatchTestRunner": "wtb.batch.runner",
    "run_batch": "wtb.batch.runner",
    "Variant": "wtb.batch.variants",
    "matrix": "wtb.batch.variants",
    "parse_variants": "wtb.batch.variants",
    "load_variants_file": "wtb.batch.variants",
    "cancel_batch": "wtb.batch.records",
    "get_batch": "wtb.batch.records",
    "list_batches": "wtb.batch.records",
}

if TYPE_CHECKING:
    from wtb.batch.records import cancel_batch, get_batch, list_batches
    from wtb.batch.result import BatchResult, Comparison, VariantResult
    from wtb.batch.runner import RayBatchTestRunner, run_batch
    from wtb.batch.variants import Variant, load_variants_file, matrix, parse_variants
    from wtb.store.batches import BatchStore


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'wtb.batch' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
