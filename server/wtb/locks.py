"""Locks that hold across processes: WTB's one lock module.

``fcntl.flock`` on files of the data directory: the kernel drops a lock when its holder
dies, so a killed rollback, run or collection never leaves a stale lock behind.

* :class:`Locks`: one exclusive lock per execution and one for the workspace's files
  (``<data_dir>/locks/``), waited for up to a timeout, then :class:`~wtb.errors.BusyError`.
  A run holds its execution's lock for as long as it runs (a batch driver holds its
  batch's lock for its variants), so a ``running`` execution whose lock is free has no
  live process (``wtb.engine.liveness``). Next to them, a cancel request is an empty
  file (``cancel-<execution>``) that the running controller looks for between steps.
* :class:`GcLock`: the file collector's lock (``.filetrack/gc.lock``). A snapshot reads
  the stat index and reuses trees of an earlier snapshot, then commits rows that
  reference those blobs and trees; a collection in between could delete what it is about
  to reference. Snapshots (and restores, bundle imports) hold it shared for their whole
  scan-and-commit, the collection exclusively. Each holder has its own file
  description (lent from a pool), so threads of one process exclude each other as well; a thread that
  already holds it shared (a restore that snapshots first) re-enters without a second
  ``flock``. Where ``fcntl`` is missing (Windows) it is a no-op and the collector's grace
  period is the only protection.

The lock files and their folders are WTB's own, in a data directory that may come with a
hostile workspace: they are opened from their parent without following a symlink (see
``wtb.datafs``), so a planted link cannot make ``O_CREAT`` create a file where it points;
the lock then fails with :class:`~wtb.errors.UnsafePathError`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from wtb.datafs import open_file, open_path
from wtb.errors import BusyError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


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

    def batch(self, batch_id: str, timeout_s: float = 0.0) -> AbstractContextManager[None]:
        """Held by a batch's driver while it runs: the owner of its variants marked ``running``."""
        return file_lock(self._dir / f"batch-{batch_id}.lock", f"Batch {batch_id}", timeout_s)

    def request_cancel(self, execution_id: str) -> None:
        """Ask the process running ``execution_id`` to stop before its next step."""
        folder_fd = open_path(self._dir.parent, [self._dir.name], create=True)
        try:
            name = _cancel_name(execution_id)
            os.close(open_file(name, folder_fd, os.O_WRONLY | os.O_CREAT, self._dir / name))
        finally:
            os.close(folder_fd)

    def cancel_requested(self, execution_id: str) -> bool:
        """Whether a cancel request for ``execution_id`` is waiting (a stat, cheap enough for every step)."""
        return os.path.lexists(self._dir / _cancel_name(execution_id))

    def clear_cancel(self, execution_id: str) -> None:
        if not self.cancel_requested(execution_id):
            return
        folder_fd = open_path(self._dir.parent, [self._dir.name])
        try:
            os.unlink(_cancel_name(execution_id), dir_fd=folder_fd)
        except FileNotFoundError:
            pass
        finally:
            os.close(folder_fd)


def _cancel_name(execution_id: str) -> str:
    return f"cancel-{execution_id}"


class GcLock:
    """A shared/exclusive advisory lock on one file.

    ``flock`` locks belong to an open file description, so each holder needs a descriptor
    no other thread holds at the same time (one thread's unlock must never drop another's
    lock, and an exclusive holder must conflict with every other thread's shared one, as
    with another process's). Descriptors are lent from a pool of the process's and taken
    back after use: opening the file (safely, folder by folder) at each acquisition cost
    40 µs of a 300 µs snapshot, and LangGraph stores checkpoints from a new thread pool
    at every run, so one descriptor per thread was opened again at almost every snapshot.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()  # this thread's depth of shared holds
        self._spare: list[int] = []  # descriptors no one holds (list.pop/append are atomic)
        self._pid = os.getpid()  # a forked child must not share its parent's descriptions

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """Close the spare descriptors (those lent out are closed as they come back)."""
        while self._spare:
            with contextlib.suppress(OSError, IndexError):
                os.close(self._spare.pop())

    def shared(self) -> _SharedHold:
        """Hold the lock shared (re-entrant per thread) for a ``with`` block."""
        return _SharedHold(self)

    def _take_shared(self) -> int:
        """Take it shared for this thread: the descriptor locked, or -1 when the thread held it already."""
        depth = getattr(self._local, "depth", 0)
        if depth or fcntl is None:
            self._local.depth = depth + 1
            return -1
        fd = self._borrow()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except BaseException:
            os.close(fd)
            raise
        self._local.depth = 1
        return fd

    def _drop_shared(self, fd: int) -> None:
        self._local.depth -= 1
        if fd >= 0 and fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            self._spare.append(fd)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = self._borrow()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            self._spare.append(fd)

    def _borrow(self) -> int:
        """A descriptor of the lock file that no one else holds now."""
        if os.getpid() != self._pid:  # forked: the spares' descriptions are the parent's too
            self._pid = os.getpid()
            self.close()
        try:
            return self._spare.pop()
        except IndexError:  # none spare (another thread may have taken the last): open one more
            pass
        folder_fd = open_path(self.path.parent.parent, [self.path.parent.name], create=True)
        try:
            return open_file(self.path.name, folder_fd, os.O_RDWR | os.O_CREAT, self.path)
        finally:
            os.close(folder_fd)


class _SharedHold:
    """One ``with gc_lock.shared():`` block: a plain context manager, not a generator one,
    because every snapshot takes the lock and the generator's machinery cost more than
    the two ``flock`` calls."""

    __slots__ = ("_fd", "_lock")

    def __init__(self, lock: GcLock) -> None:
        self._lock = lock
        self._fd = -1

    def __enter__(self) -> None:
        self._fd = self._lock._take_shared()

    def __exit__(self, *exc_info: object) -> None:
        self._lock._drop_shared(self._fd)
