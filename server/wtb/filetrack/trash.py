"""Where a restore parks the files it replaced, until a background thread deletes them.

Replacing a file by renaming a new one over it makes the kernel free the old file's
blocks inside the ``rename`` call, and ext4 also starts writing the new file's data
there (its ``auto_da_alloc`` guard for replace-by-rename). Measured on this project's
ext4 machine that was 0.25 ms of each restored file's 0.3 ms. So a restore writes the new
file in this folder and *exchanges* it with the workspace's file in one atomic
``renameat2(RENAME_EXCHANGE)``: the name has the old content or the new, never neither,
and the old file lands here. A thread deletes it a moment after the restore has
returned, off the path of the rollback the user waits for.

Each service has its own folder, ``trash/<id>/``, and holds ``trash/<id>.lock``
(``flock``) while open, so one process never deletes what another is writing. A folder
whose lock nobody holds belonged to a process that is gone (a crash) and is emptied
by the next service that opens the data directory. Where ``renameat2`` or ``flock``
is missing, or the folder is on another file system than the workspace, there is no
trash and restores rename over the old files.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import threading
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

_RENAME_EXCHANGE = 2
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def _load_renameat2() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_renameat2 = _load_renameat2()


def exchange(src_dir_fd: int, src: str, dst_dir_fd: int, dst: str) -> None:
    """Swap two names atomically (both must exist); OSError as ``os.rename`` raises it."""
    if _renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if _renameat2(src_dir_fd, os.fsencode(src), dst_dir_fd, os.fsencode(dst), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), dst)


class Trash:
    """One service's folder of replaced files, emptied in the background."""

    #: How long after the last parked file the thread waits before deleting: a restore
    #: parks its files one after the other and should not share the disk with it.
    delay_s = 0.05

    def __init__(self, folder: Path, fd: int, lock_fd: int) -> None:
        self.folder = folder
        self.fd = fd  # the folder's descriptor, to create and rename by
        self.device = os.fstat(fd).st_dev
        self._lock_fd = lock_fd
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    @classmethod
    def open(cls, parent: Path) -> Trash | None:
        """A new trash folder under ``parent`` (its dead siblings emptied first), or None
        where this platform cannot exchange names or lock files."""
        if _renameat2 is None or fcntl is None:
            return None
        parent.mkdir(parents=True, exist_ok=True)
        sweep(parent)
        name = os.urandom(8).hex()
        lock_fd = os.open(parent / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        (parent / name).mkdir()
        return cls(parent / name, os.open(parent / name, _DIR_FLAGS), lock_fd)

    def parked(self) -> None:
        """Files were moved in: delete them soon, on the trash's thread."""
        with self._mutex:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wtb-trash", daemon=True)
                self._thread.start()
        self._wake.set()

    def empty(self) -> int:
        """Delete what is here now; returns how many files went."""
        with self._mutex:
            return _empty(self.fd, self.folder)

    def close(self) -> None:
        """Stop the thread, delete what is left, remove the folder and release its lock."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        _empty(self.fd, self.folder)
        os.close(self.fd)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)
        with contextlib.suppress(OSError):
            os.unlink(f"{self.folder}.lock")
        os.close(self._lock_fd)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            while self._wake.is_set() and not self._closed:  # parked again meanwhile: wait on
                self._wake.clear()
                self._wake.wait(self.delay_s)
            if self._closed:
                return  # close() empties the folder itself
            try:
                self.empty()
            except OSError:
                log.warning("could not empty %s", self.folder, exc_info=True)


def sweep(parent: Path) -> None:
    """Empty and remove the trash folders under ``parent`` whose owner is gone."""
    assert fcntl is not None
    for lock in parent.glob("*.lock"):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its service is open
            folder = lock.with_suffix("")
            with contextlib.suppress(FileNotFoundError):
                folder_fd = os.open(folder, _DIR_FLAGS)
                try:
                    _empty(folder_fd, folder)
                finally:
                    os.close(folder_fd)
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
            if not folder.exists():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(lock)
        finally:
            os.close(fd)


def _empty(fd: int, folder: Path) -> int:
    """Unlink every file and symlink in the folder. A directory is never deleted: one is
    only here when giving a directory back to the workspace failed (see ``safefs``)."""
    count = 0
    with os.scandir(fd) as entries:
        names = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
    for name, is_dir in names:
        if is_dir:
            log.warning("%s/%s is a directory a restore moved aside; it is left for you", folder, name)
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=fd)
            count += 1
    return count
