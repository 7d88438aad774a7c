"""Locks that hold across processes: one per execution, one for the workspace's files.

``fcntl.flock`` on a file under ``<data_dir>/locks/``: the kernel drops the lock when the
holder dies, so a killed rollback or worker never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from wtb.errors import BusyError


@contextmanager
def file_lock(path: Path, what: str, timeout_s: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; wait up to ``timeout_s``, then raise :class:`BusyError`."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:  # the first lock of this data dir
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
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
