"""Writing below a root directory without ever following a symlink.

Restore walks to a file's directory one component at a time with
``open(name, O_DIRECTORY | O_NOFOLLOW, dir_fd=parent)`` and then creates, renames or
removes by ``dir_fd``. A symlinked directory anywhere on the way is refused, and
because every step is relative to an already-open directory, swapping a directory
for a symlink mid-way cannot redirect a write either (no check-then-use race).

Files are written to a temporary name, given their mode, and then take the name in
one atomic step: a reader (or a crash) sees the old or the new content, never a mix.
With a :class:`~wtb.filetrack.trash.Trash`, the temporary file is written there and
*exchanged* with the old file, which stays in the trash until its thread deletes it
(see ``trash.py`` for why); a name that does not exist yet is a plain rename. Without
one, the temporary file is a sibling in the final directory and is renamed over the
old file. Either way a symlink at the name is replaced, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from wtb.errors import NotAvailableError
from wtb.filetrack.errors import RestoreConflictError, UnsafePathError
from wtb.filetrack.fdio import write_all
from wtb.filetrack.ignore import TMP_PREFIX
from wtb.filetrack.trash import Trash, exchange

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# What renameat2 answers where a file system (or a nested mount) cannot exchange names.
_NO_EXCHANGE = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}


class _CannotExchange(Exception):
    """The trash cannot be used for this file; write it the plain way."""


class SafeRoot:
    """Create, replace and remove tracked paths below ``root``.

    Use it as a context manager: the directories it walks to stay open (a few dozen,
    least recently used first out) so that a restore of many files in one folder opens
    that folder once; leaving the block closes them. A directory this object removes
    is dropped from that cache with everything below it.
    """

    max_open_dirs = 64

    def __init__(self, root: Path, trash: Trash | None = None) -> None:
        if os.open not in os.supports_dir_fd or not _NOFOLLOW:
            raise NotAvailableError("restoring files needs POSIX dir_fd support (Linux or macOS)")
        self.root = root
        self._dirs: OrderedDict[tuple[str, ...], int] = OrderedDict()
        self._trash = trash
        self._exchanging = trash is not None  # until a file system here cannot
        self._parked = False  # whether files went to the trash (its thread then deletes them)

    def __enter__(self) -> SafeRoot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        while self._dirs:
            os.close(self._dirs.popitem()[1])
        if self._parked and self._trash is not None:
            self._trash.parked()

    def write_file(self, rel: str, mode: int, fill: Callable[[Callable[[bytes], None]], None]) -> os.stat_result:
        """Write a file through a temporary one; returns the new file's stat.

        ``fill`` receives the function that appends bytes to the temporary file (it is
        called again if the trash turns out unusable here).
        """
        parent, name = self._split(rel)
        pfd = self._dir(parent, create=True)
        trash = self._trash
        if trash is not None and self._exchanging:
            try:
                return self._write(trash.fd, pfd, name, rel, mode, fill)
            except _CannotExchange:
                self._exchanging = False
        return self._write(pfd, pfd, name, rel, mode, fill)

    def _write(
        self, tmp_dir: int, pfd: int, name: str, rel: str, mode: int, fill: Callable[[Callable[[bytes], None]], None]
    ) -> os.stat_result:
        perm = stat.S_IMODE(mode)
        trash = self._trash if tmp_dir != pfd else None
        spare = trash.take() if trash is not None else None
        if spare is not None:
            fd, tmp = spare.fd, spare.name
        else:
            tmp = trash.new_name() if trash is not None else TMP_PREFIX + os.urandom(8).hex()
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, perm, dir_fd=tmp_dir)
            except BaseException:
                if trash is not None:
                    trash.release(tmp)
                raise
        try:
            fill(functools.partial(write_all, fd))
            if (spare.mode if spare is not None else stat.S_IMODE(os.fstat(fd).st_mode)) != perm:
                os.fchmod(fd, perm)  # a spare's mode, or the umask took bits away
            if tmp_dir == pfd:
                self._replace(tmp, name, pfd, rel, tmp_dir)
            else:
                self._swap_in(tmp, name, pfd, rel, tmp_dir)
            return os.fstat(fd)  # after the rename, which changes the file's ctime
        except BaseException:
            with contextlib.suppress(OSError):  # gone, or (see _swap_in) a directory left there
                os.unlink(tmp, dir_fd=tmp_dir)
            raise
        finally:
            os.close(fd)
            if trash is not None:
                trash.release(tmp)  # from now on the trash's thread may delete what is there
                self._parked = self._parked or spare is not None  # and it makes another spare

    def _swap_in(self, tmp: str, name: str, pfd: int, rel: str, trash_fd: int) -> None:
        """Exchange the trash's new file with the old one at ``name`` (or rename it there)."""
        try:
            exchange(trash_fd, tmp, pfd, name)
        except FileNotFoundError:
            self._replace(tmp, name, pfd, rel, trash_fd)  # a new file: nothing to exchange with
            return
        except OSError as exc:
            if exc.errno in _NO_EXCHANGE:
                raise _CannotExchange from exc
            raise
        self._parked = True
        if stat.S_ISDIR(os.stat(tmp, dir_fd=trash_fd, follow_symlinks=False).st_mode):
            try:
                exchange(trash_fd, tmp, pfd, name)  # a directory was there: give it back untouched
            except OSError as exc:
                raise RestoreConflictError(
                    f"{rel!r} is a directory now, and moving it back from {self._trash_folder()}/{tmp} failed: {exc}"
                ) from exc
            raise RestoreConflictError(f"{rel!r} is a directory now; the snapshot has a file there")

    def _trash_folder(self) -> str:
        return str(self._trash.folder) if self._trash is not None else "the trash"

    def write_symlink(self, rel: str, target: str) -> None:
        """Create (or replace) a symlink; its target is text and is never followed."""
        parent, name = self._split(rel)
        pfd = self._dir(parent, create=True)
        tmp = TMP_PREFIX + os.urandom(8).hex()
        os.symlink(target, tmp, dir_fd=pfd)
        try:
            self._replace(tmp, name, pfd, rel)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=pfd)
            raise

    def remove(self, rel: str) -> None:
        """Remove a file or symlink (missing is fine), then its parents that became empty."""
        parent, name = self._split(rel)
        try:
            pfd = self._dir(parent, create=False)
        except FileNotFoundError:
            return
        try:
            os.unlink(name, dir_fd=pfd)
        except FileNotFoundError:
            pass
        except (IsADirectoryError, PermissionError) as exc:
            if not stat.S_ISDIR(os.stat(name, dir_fd=pfd, follow_symlinks=False).st_mode):
                raise
            raise RestoreConflictError(f"{rel!r} is a directory now; the snapshot has a file there") from exc
        self._prune(parent)

    def remove_empty_dir(self, rel: str) -> None:
        """Remove an empty directory (missing is fine; one with anything in it stays), then its
        parents that became empty."""
        parent, name = self._split(rel)
        try:
            pfd = self._dir(parent, create=False)
            os.rmdir(name, dir_fd=pfd)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                return  # untracked (ignored) content: left, as a file there would be
            raise
        self._forget((*parent, name))
        self._prune(parent)

    def make_dir(self, rel: str) -> None:
        """Make a directory and its parents (one that exists is fine; a symlink on the way is refused)."""
        self._dir(rel.split("/"), create=True)

    def _prune(self, parts: list[str]) -> None:
        """Remove now-empty directories from the deepest up; stop at the first non-empty one."""
        while parts:
            try:
                os.rmdir(parts[-1], dir_fd=self._dir(parts[:-1], create=False))
            except OSError:
                return
            self._forget(tuple(parts))
            parts = parts[:-1]

    def _split(self, rel: str) -> tuple[list[str], str]:
        parts = rel.split("/")
        return parts[:-1], parts[-1]

    def _dir(self, parts: list[str], *, create: bool) -> int:
        """An open descriptor of a directory below the root, reached without following links
        (owned by the cache: do not close it)."""
        key = tuple(parts)
        fd = self._dirs.get(key)
        if fd is not None:
            self._dirs.move_to_end(key)
            return fd
        if parts:
            parent = self._dir(parts[:-1], create=create)
            fd = self._child(parent, parts[-1], create, "/".join(parts))
        else:
            fd = os.open(self.root, _DIR_FLAGS)
            if self._trash is not None and os.fstat(fd).st_dev != self._trash.device:
                self._exchanging = False  # another file system: the exchange could not cross it
        self._dirs[key] = fd
        if len(self._dirs) > self.max_open_dirs:
            os.close(self._dirs.popitem(last=False)[1])
        return fd

    def _forget(self, removed: tuple[str, ...]) -> None:
        """Close the cached descriptors of a removed directory and of everything below it."""
        size = len(removed)
        for key in [k for k in self._dirs if k[:size] == removed]:
            os.close(self._dirs.pop(key))

    def _child(self, fd: int, name: str, create: bool, shown: str) -> int:
        try:
            return os.open(name, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=fd)
            return os.open(name, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            if stat.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                raise UnsafePathError(f"{shown!r} is a symlink; restore never writes through a symlink") from None
            raise RestoreConflictError(f"{shown!r} is a file; the snapshot has a directory there") from None

    def _replace(self, tmp: str, name: str, pfd: int, rel: str, tmp_dir: int | None = None) -> None:
        try:
            os.replace(tmp, name, src_dir_fd=pfd if tmp_dir is None else tmp_dir, dst_dir_fd=pfd)
        except OSError as exc:
            if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
                raise RestoreConflictError(
                    f"{rel!r} is a directory with untracked content; the snapshot has a file there"
                ) from exc
            raise
