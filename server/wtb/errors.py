"""The errors WTB raises on purpose.

Every error a user can cause (a wrong id, a broken workflow file, a path outside the
workspace) is a :class:`WTBError` with a message that names the thing and says what to
do. The daemon maps these classes to JSON-RPC error codes in one place
(``wtb.lsp.errors``); the CLI prints their message on one line.
"""

from __future__ import annotations


class WTBError(Exception):
    """Base class of every error WTB raises deliberately."""


class InvalidArgumentError(WTBError, ValueError):
    """A parameter has a value WTB cannot use (unknown mode, bad JSON, …)."""


class NotFoundError(WTBError, LookupError):
    """Something named by id or name does not exist."""


class UnknownProjectError(NotFoundError):
    """No registered or discovered workflow has this name."""


class UnknownExecutionError(NotFoundError):
    """No execution has this id in this data directory."""


class UnknownCheckpointError(NotFoundError):
    """The checkpoint id does not belong to the execution."""


class WorkflowLoadError(WTBError):
    """A workflow reference cannot be turned into a LangGraph graph."""


class NonSerializableStateError(WTBError, TypeError):
    """A state value cannot be stored in a checkpoint."""


class BusyError(WTBError):
    """Another action holds the execution (a run, a rollback) right now."""


class InvalidStateError(WTBError):
    """The action does not fit the execution's current status."""


class InterruptPendingError(InvalidStateError):
    """The execution waits on questions asked with ``interrupt()``: resume with an answer."""


class AmbiguousIdError(InvalidArgumentError):
    """A short id (a prefix, as the editor shows ids) names more than one execution or checkpoint."""

    def __init__(self, message: str, matches: list[str] | None = None) -> None:
        super().__init__(message)
        #: The full ids the short one could mean.
        self.matches = list(matches or [])


class AsNodeRequiredError(InvalidArgumentError):
    """A state edit after a step of several nodes must say which node it stands for (``as_node``)."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        super().__init__(message)
        #: The nodes ``as_node`` may name (the step's nodes).
        self.candidates = list(candidates or [])


class UnsafePathError(WTBError, ValueError):
    """A path would escape the workspace (``..``, absolute, or an outward symlink)."""


class IntegrityError(WTBError):
    """A stored blob is missing or its content no longer matches its hash."""


class RollbackError(WTBError):
    """A rollback (or its undo) failed part-way; it was unwound, so state and files are as before."""


class DamagedStoreError(WTBError):
    """A database or folder of the data directory cannot be used: not a database, damaged,
    read-only, or missing. The message names the file and says what to do."""


class DataDirectoryLostError(DamagedStoreError):
    """The data directory was removed or replaced while WTB had it open (a node or a clean-up
    deleted it): what was written to it since is gone with it."""


class NotAvailableError(WTBError):
    """The feature exists in the protocol but not in this build yet."""


# -- batches (re-exported by wtb.batch.errors; here so that wtb.store.batches can raise them) --


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
