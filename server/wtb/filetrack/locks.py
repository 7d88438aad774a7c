"""The collector's lock: snapshots share it, the GC takes it alone.

A snapshot reads the stat index and reuses trees of an earlier snapshot, then
commits rows that reference those blobs and trees. If a GC ran in between it could
delete what the snapshot is about to reference. Holding ``flock(LOCK_SH)`` on
``gc.lock`` for the whole scan-and-commit (and for restores and bundle imports), and
``LOCK_EX`` for the whole collection, makes the two never interleave, across
processes. Each acquisition opens its own file description, so threads of one
process exclude each other as well; a thread that already holds the lock shared
(a restore that snapshots first) re-enters without a second ``flock``. Where ``fcntl`` is missing (Windows) the lock
is a no-op and the GC's grace period is the only protection.

The lock file is WTB's own, in a data directory that may come with a hostile workspace:
it and its folder (``.filetrack``) are opened from the data directory without following
a symlink (see ``wtb.datafs``), so a planted link cannot make ``O_CREAT`` create a file
where it points; the lock then fails with :class:`~wtb.errors.UnsafePathError`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wtb.datafs import open_file, open_path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class GcLock:
    """A shared/exclusive advisory lock on one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    @contextmanager
    def shared(self) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        with self._hold(exclusive=False):
            self._local.depth = 1
            try:
                yield
            finally:
                self._local.depth = 0

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._hold(exclusive=True):
            yield

    @contextmanager
    def _hold(self, *, exclusive: bool) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            yield
            return
        folder_fd = open_path(self.path.parent.parent, [self.path.parent.name], create=True)
        try:
            fd = open_file(self.path.name, folder_fd, os.O_RDWR | os.O_CREAT, self.path)
        finally:
            os.close(folder_fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)
