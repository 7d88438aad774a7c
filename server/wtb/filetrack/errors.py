"""The errors of the file tracker.

The user-facing classes live in :mod:`wtb.errors` so the daemon can map them to
JSON-RPC codes in one place; this module re-exports them for the package and adds
the two failures only file tracking can produce.
"""

from __future__ import annotations

from wtb import sqlite
from wtb.errors import (
    DamagedStoreError,
    IntegrityError,
    InvalidArgumentError,
    InvalidStateError,
    NotFoundError,
    UnsafePathError,
    WTBError,
)

__all__ = [
    "DamagedStoreError",
    "FileTrackError",
    "IntegrityError",
    "InvalidArgumentError",
    "InvalidStateError",
    "NotFoundError",
    "RestoreConflictError",
    "SchemaVersionError",
    "UnsafePathError",
]


class FileTrackError(WTBError):
    """Base class of failures that only the file tracker raises."""


class RestoreConflictError(FileTrackError, InvalidStateError):
    """An untracked (ignored) file or a non-empty directory is in the way of a restore."""


# ``filetrack.db`` (or any WTB database) written by a newer WTB: refusing to guess its layout.
SchemaVersionError = sqlite.SchemaVersionError
