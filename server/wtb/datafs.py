"""WTB's own files and folders in its data directory, opened without following a symlink.

The data directory (``<workspace>/.wtb`` by default) lies inside a workspace that may
come from anywhere: a cloned repository, an unpacked archive. What is in it is data,
never instructions. A symlink planted where WTB expects one of its own folders (the
trash, the lock folder) must not make WTB delete or create files where the link
points. So below the data directory every step is an ``openat`` relative to an already
open folder with ``O_NOFOLLOW``, and files are created, renamed and removed by
``dir_fd``: a symlink at one of WTB's names is refused with :class:`UnsafePathError`
(one line that names it and says to remove it), never followed.

The data directory itself is the caller's (the user gave it, or the service resolved
it) and is opened as a path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from wtb.errors import UnsafePathError

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | CLOEXEC
# What openat answers for a symlink opened with O_NOFOLLOW (ELOOP; ENOTDIR with
# O_DIRECTORY on Linux; EMLINK on FreeBSD), or for a file where a folder is expected.
_REFUSED = {errno.ELOOP, errno.ENOTDIR, errno.EMLINK}


def refusal(shown: str | os.PathLike[str], what: str = "file or folder") -> UnsafePathError:
    """The error for a symlink (or other stranger) where WTB expects its own ``what``."""
    return UnsafePathError(
        f"{os.fspath(shown)} is a symlink, where WTB keeps its own {what}; WTB never follows "
        "links in its data directory: remove the link"
    )


def is_symlink(name: str, dir_fd: int) -> bool:
    """Whether ``name`` in the folder ``dir_fd`` is a symlink (the link itself, not followed)."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def open_dir(name: str, dir_fd: int, shown: str | os.PathLike[str], *, create: bool = False) -> int:
    """Open WTB's folder ``name`` in the folder ``dir_fd`` (made first when missing and
    ``create``); a symlink or a file there raises :class:`UnsafePathError`."""
    for attempt in range(2):
        try:
            return os.open(name, DIR_FLAGS | NOFOLLOW, dir_fd=dir_fd)
        except FileNotFoundError:
            if not create or attempt:
                raise
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                os.mkdir(name, 0o777, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno not in _REFUSED:
                raise
            if is_symlink(name, dir_fd):
                raise refusal(shown, "folder") from None
            raise UnsafePathError(
                f"{os.fspath(shown)} is not a folder, where WTB keeps its own folder: move it away"
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def open_file(name: str, dir_fd: int, flags: int, shown: str | os.PathLike[str], mode: int = 0o644) -> int:
    """``os.open`` of WTB's file ``name`` in the folder ``dir_fd`` with ``O_NOFOLLOW``: a
    symlink there raises :class:`UnsafePathError` (even with ``O_CREAT``, which would
    otherwise create the link's target)."""
    try:
        return os.open(name, flags | NOFOLLOW | CLOEXEC, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in _REFUSED and is_symlink(name, dir_fd):
            raise refusal(shown, "file") from None
        raise


def open_path(anchor: Path, names: Sequence[str], *, create: bool = False) -> int:
    """Open the folder ``anchor/names[0]/names[1]/…``: ``anchor`` (the data directory, the
    caller's) as a path, each of ``names`` (WTB's own folders) without following a
    symlink. ``create`` makes what is missing. The caller closes the descriptor."""
    try:
        fd = os.open(anchor, DIR_FLAGS)
    except FileNotFoundError:
        if not create:
            raise
        anchor.mkdir(parents=True, exist_ok=True)
        fd = os.open(anchor, DIR_FLAGS)
    shown = anchor
    try:
        for name in names:
            shown = shown / name
            child = open_dir(name, fd, shown, create=create)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


class DirectoryIdentity:
    """Which folder a path named when WTB opened it, to notice it removed or replaced.

    The databases stay open in a process after their folder is deleted (``rm -rf .wtb``,
    ``git clean -x``, a node that empties the workspace): writes then go to files nothing
    can reach, and the history of a run that goes on is lost without a word. One ``stat``
    tells: the folder is gone, or another one (a new inode) is in its place.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._id = self._current()

    def _current(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def lost(self) -> str | None:
        """Why the folder opened is no longer at its path (None while it is)."""
        now = self._current()
        if now == self._id:
            return None
        return "was removed" if now is None else "was replaced by another folder"
