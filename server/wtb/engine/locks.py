"""Locks that hold across processes: one per execution, one for the workspace's files.

``fcntl.flock`` on a file under ``<data_dir>/locks/``: the kernel drops the lock when the
holder dies, so a killed rollback or worker never leaves a stale lock behind.

The lock file and its folder are WTB's own, in a data directory that may come with a
hostile workspace: both are opened from the data directory without following a symlink
(see ``wtb.datafs``), so a planted link cannot make ``O_CREAT`` create a file where it
points; the lock then fails with :class:`~wtb.errors.UnsafePathError`.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from wtb.datafs import open_file, open_path
from wtb.errors import BusyError


@contextmanager
def file_lock(path: Path, what: str, timeout_s: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; wait up to ``timeout_s``, then raise :class:`BusyError`."""
    folder_fd = open_path(path.parent.parent, [path.parent.name], create=True)
    try:
        fd = open_file(path.name, folder_fd, os.O_RDWR | os.O_CREAT, path)
    finally:
        os.close(folder_fd)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BusyError(
                        f"{what} is busy: another run or rollback holds it. Wait for it to finish "
                        "or cancel it, then try again."
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class Locks:
    """Named locks of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir / "locks"

    def execution(self, execution_id: str, timeout_s: float = 0.0) -> AbstractContextManager[None]:
        return file_lock(self._dir / f"execution-{execution_id}.lock", f"Execution {execution_id}", timeout_s)

    def workspace(self, timeout_s: float = 5.0) -> AbstractContextManager[None]:
        return file_lock(self._dir / "workspace.lock", "The workspace", timeout_s)
