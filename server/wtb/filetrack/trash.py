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
from typing import NamedTuple

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from wtb.filetrack.ignore import TMP_PREFIX

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


class Spare(NamedTuple):
    """An empty file made ahead in the trash folder, open for writing."""

    fd: int
    name: str
    mode: int  # its permission bits (what the umask left of 0o644)


class Trash:
    """One service's folder of replaced files, emptied in the background.

    The same thread keeps a few empty files made ahead (:meth:`take`): creating a file
    (a new inode, a journalled directory entry) was the dearest step of writing one
    after the exchange, and a restore of a handful of files needs none of its own. They
    are first made after the first restore, so a process that never restores (a CLI
    command, a batch worker) makes none.
    """

    #: How long after a restore the thread waits before deleting: the rollback that
    #: restored is still finishing, and should not share the disk with it.
    delay_s = 0.05
    #: Empty files kept ready (each an open descriptor).
    spares = 32

    def __init__(self, folder: Path, fd: int, lock_fd: int) -> None:
        self.folder = folder
        self.fd = fd  # the folder's descriptor, to create and rename by
        self.device = os.fstat(fd).st_dev
        self._lock_fd = lock_fd
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._tidying = threading.Lock()  # the thread's tidy() and a caller's never overlap
        self._closed = False
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()
        self._ready: list[Spare] = []
        self._keep: set[str] = set()  # names not to delete: spares ready or being written

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

    def take(self) -> Spare | None:
        """An empty file to write a restored file's content to, or None when none is ready.
        Call :meth:`release` with its name once it was exchanged (or failed)."""
        with self._mutex:
            return self._ready.pop() if self._ready else None

    def new_name(self) -> str:
        """A name for a file the caller creates here itself (no spare was ready); it is not
        deleted until :meth:`release`."""
        name = TMP_PREFIX + os.urandom(8).hex()
        with self._mutex:
            self._keep.add(name)
        return name

    def release(self, name: str) -> None:
        """A taken spare's (or :meth:`new_name`'s) name now holds a replaced file, or
        nothing: it may be deleted."""
        with self._mutex:
            self._keep.discard(name)

    def parked(self) -> None:
        """Files were moved in (or spares taken): delete and make them soon, on the trash's thread."""
        with self._mutex:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wtb-trash", daemon=True)
                self._thread.start()
        self._wake.set()

    def empty(self) -> int:
        """Delete the replaced files here now; returns how many went."""
        with self._mutex:
            keep = set(self._keep)
        return _empty(self.fd, self.folder, keep)

    def close(self) -> None:
        """Stop the thread, delete what is left, remove the folder and release its lock."""
        with self._tidying, self._mutex:
            if self._closed:
                return
            self._closed = True
            ready, self._ready = self._ready, []
            self._keep.clear()
        self._closing.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for spare in ready:
            os.close(spare.fd)
        _empty(self.fd, self.folder, set())
        os.close(self.fd)
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)
        with contextlib.suppress(OSError):
            os.unlink(f"{self.folder}.lock")
        os.close(self._lock_fd)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self._closing.wait(self.delay_s)  # a rollback moves its head after its files
            if self._closed:
                return  # close() empties the folder itself
            try:
                self.tidy()
            except OSError:
                log.warning("could not empty %s", self.folder, exc_info=True)

    def tidy(self) -> int:
        """Delete the replaced files and make the spares taken (what the thread does);
        returns how many files were deleted."""
        with self._tidying:
            if self._closed:
                return 0
            deleted = self.empty()
            self._make_spares()
        return deleted

    def _make_spares(self) -> None:
        while len(self._ready) < self.spares and not self._closed:
            name = TMP_PREFIX + os.urandom(8).hex()
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644, dir_fd=self.fd)
            spare = Spare(fd, name, os.fstat(fd).st_mode & 0o7777)
            with self._mutex:
                if self._closed:
                    os.close(fd)
                    return
                self._keep.add(name)
                self._ready.append(spare)


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


def _empty(fd: int, folder: Path, keep: set[str] | None = None) -> int:
    """Unlink every file and symlink in the folder but ``keep``. A directory is never
    deleted: one is only here when giving a directory back to the workspace failed (see
    ``safefs``)."""
    count = 0
    with os.scandir(fd) as entries:
        kept = keep or set()
        names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries if e.name not in kept]
    for name, is_dir in names:
        if is_dir:
            log.warning("%s/%s is a directory a restore moved aside; it is left for you", folder, name)
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=fd)
            count += 1
    return count
