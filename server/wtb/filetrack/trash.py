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

The data directory may come with a hostile workspace, so the trash follows no symlink
(see ``wtb.datafs``): ``.filetrack/trash`` is reached from the data directory, and its
folders and lock files are opened, emptied and removed relative to open folder
descriptors with ``O_NOFOLLOW``. A symlink (or any other stranger) where a trash folder
or lock file should be is left alone with a one-line warning; one at ``.filetrack`` or
``trash`` means no trash at all (restores then rename over files).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from wtb.datafs import CLOEXEC, NOFOLLOW, open_dir, open_file, open_path
from wtb.errors import UnsafePathError
from wtb.filetrack.ignore import TMP_PREFIX

log = logging.getLogger(__name__)

_RENAME_EXCHANGE = 2
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
#: How far up from the trash folder WTB's own folders go: ``.filetrack/trash`` is opened
#: from the data directory without following a symlink at either name.
_OWN_DEPTH = 2
#: The lock files ``Trash.open`` makes (16 hex digits); the sweep touches nothing else.
_LOCK_NAME = re.compile(r"[0-9a-f]{16}\.lock")


def _load_renameat2() -> Callable[..., int] | None:
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

    def __init__(self, folder: Path, fd: int, lock_fd: int, parent_fd: int) -> None:
        self.folder = folder
        self.fd = fd  # the folder's descriptor, to create and rename by
        self.device = os.fstat(fd).st_dev
        self._lock_fd = lock_fd
        self._parent_fd = parent_fd  # the ``trash`` folder's, to remove this folder and its lock by
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
        where this platform cannot exchange names or lock files, or where ``parent`` or
        its own parent (``.filetrack/trash``) is a symlink (a warning says which).

        The last two names of ``parent`` are WTB's own folders and are never followed;
        the folder above them (the data directory) is the caller's."""
        if _renameat2 is None or fcntl is None or not NOFOLLOW or os.open not in os.supports_dir_fd:
            return None
        parent = Path(os.path.abspath(parent))
        depth = min(_OWN_DEPTH, len(parent.parts) - 1)
        try:
            parent_fd = open_path(parent.parents[depth - 1], parent.parts[-depth:], create=True)
        except UnsafePathError as exc:
            log.warning("no trash, restores will rename over files: %s", exc)
            return None
        try:
            sweep(parent_fd, parent)
            name = os.urandom(8).hex()
            lock_fd = open_file(f"{name}.lock", parent_fd, os.O_RDWR | os.O_CREAT | os.O_EXCL, parent / f"{name}.lock")
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
                os.mkdir(name, 0o777, dir_fd=parent_fd)
                fd = open_dir(name, parent_fd, parent / name)
            except BaseException:
                os.close(lock_fd)
                with contextlib.suppress(OSError):
                    os.unlink(f"{name}.lock", dir_fd=parent_fd)
                raise
        except BaseException:
            os.close(parent_fd)
            raise
        return cls(parent / name, fd, lock_fd, parent_fd)

    @classmethod
    def open_or_warn(cls, folder: Path) -> Trash | None:
        """The folder restores park replaced files in; without one they rename over them."""
        try:
            return cls.open(folder)
        except OSError:
            log.warning("restores will rename over files: no trash folder in %s", folder, exc_info=True)
            return None

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
        try:
            _empty(self.fd, self.folder, set())
        finally:
            os.close(self.fd)
            name = self.folder.name
            with contextlib.suppress(OSError):
                os.rmdir(name, dir_fd=self._parent_fd)
            with contextlib.suppress(OSError):
                os.unlink(f"{name}.lock", dir_fd=self._parent_fd)
            os.close(self._lock_fd)
            os.close(self._parent_fd)

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
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC, 0o644, dir_fd=self.fd)
            spare = Spare(fd, name, os.fstat(fd).st_mode & 0o7777)
            with self._mutex:
                if self._closed:
                    os.close(fd)
                    return
                self._keep.add(name)
                self._ready.append(spare)


def sweep(parent_fd: int, parent: Path) -> None:
    """Empty and remove the dead trash folders in the open folder ``parent_fd`` (shown as
    ``parent``). Only names ``Trash.open`` makes are looked at; a symlink or anything else
    that is not a plain lock file and folder is skipped with a warning, never followed."""
    assert fcntl is not None
    with os.scandir(parent_fd) as entries:
        locks = sorted(entry.name for entry in entries if _LOCK_NAME.fullmatch(entry.name))
    for lock in locks:
        try:
            _sweep_one(parent_fd, parent, lock)
        except UnsafePathError as exc:
            log.warning("left a dead trash folder alone: %s", exc)
        except OSError as exc:
            log.warning("could not empty the dead trash folder %s: %s", parent / lock[: -len(".lock")], exc)


def _sweep_one(parent_fd: int, parent: Path, lock: str) -> None:
    assert fcntl is not None
    not_a_file = UnsafePathError(f"{parent / lock} is not a plain file, where WTB keeps a lock file: move it away")
    try:
        fd = open_file(lock, parent_fd, os.O_RDWR | _NONBLOCK, parent / lock)
    except FileNotFoundError:
        return  # its owner closed meanwhile
    except IsADirectoryError:
        raise not_a_file from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise not_a_file
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # its service is open
        name = lock[: -len(".lock")]
        try:
            folder_fd = open_dir(name, parent_fd, parent / name)
        except FileNotFoundError:
            pass
        else:
            try:
                _empty(folder_fd, parent / name)
            finally:
                os.close(folder_fd)
            try:
                os.rmdir(name, dir_fd=parent_fd)
            except FileNotFoundError:
                pass
            except OSError:
                return  # a directory was left in it (see _empty): keep the lock with it
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock, dir_fd=parent_fd)
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
