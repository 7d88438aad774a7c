"""The errors a batch raises on purpose.

They subclass :mod:`wtb.errors` classes so the daemon's single error mapping
(``wtb.lsp.errors``) gives them the right JSON-RPC code without knowing this package.
"""

from __future__ import annotations

from wtb.errors import InvalidArgumentError, InvalidStateError, NotAvailableError, NotFoundError, WTBError


class BatchError(WTBError):
    """Base class of failures only the batch runner produces."""


class InvalidVariantError(BatchError, InvalidArgumentError):
    """A variant (or a variants file) cannot be run as written."""


class ResourceUnavailableError(BatchError, InvalidArgumentError):
    """A resource request that no node of the Ray cluster can ever satisfy.

    Ray would keep such an actor pending forever; we refuse it at submit time instead.
    """


class RayUnavailableError(BatchError, NotAvailableError):
    """Ray is not installed (``pip install 'wtb[batch]'``) or the cluster cannot be reached."""


class UnknownBatchError(BatchError, NotFoundError):
    """No batch has this id in this data directory."""


class BatchStateError(BatchError, InvalidStateError):
    """The action does not fit the batch's status (cancel a finished batch, …)."""
