"""The errors a batch raises on purpose.

They live in :mod:`wtb.errors` (the bottom layer, so that the batches table's repository
in ``wtb.store`` can raise them too) and subclass its classes, so the daemon's single
error mapping (``wtb.lsp.errors``) gives them the right JSON-RPC code.
"""

from wtb.errors import (
    BatchError,
    BatchStateError,
    InvalidVariantError,
    RayUnavailableError,
    ResourceUnavailableError,
    UnknownBatchError,
)

__all__ = [
    "BatchError",
    "BatchStateError",
    "InvalidVariantError",
    "RayUnavailableError",
    "ResourceUnavailableError",
    "UnknownBatchError",
]
