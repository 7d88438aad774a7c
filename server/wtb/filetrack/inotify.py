"""Linux inotify through libc's public calls: ``inotify_init1``, ``inotify_add_watch``,
``inotify_rm_watch`` and ``read``.

Why our own binding: WTB used to subclass watchdog's inotify classes, about eighteen
private members deep, and watchdog 7.1.1 (a patch release) rewrote them; every
snapshot then waited two seconds for a barrier that could no longer be seen. The
system calls below are a stable kernel ABI, documented in ``inotify(7)``; nothing
here depends on another Python library's internals. The event layout is
``struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }``.
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import errno
import fcntl
import os
import struct
import termios
from collections.abc import Iterator

IN_ACCESS = 0x00000001
IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_ISDIR = 0x40000000

_IN_CLOEXEC = os.O_CLOEXEC
_IN_NONBLOCK = os.O_NONBLOCK

#: What a workspace watch asks for: every way a name's content, mode or existence changes.
WATCH_MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
)

_HEADER = struct.Struct("iIII")
#: One read's buffer: room for many events (each is 16 bytes and its padded name).
BUFFER_SIZE = 64 * 1024
#: An event's largest size (a header and a full name): a read that left more room than
#: this in its buffer emptied the queue.
LARGEST_EVENT = _HEADER.size + 256


class _Libc:
    """The three inotify calls, bound once per process."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self.init1 = libc.inotify_init1
        self.init1.argtypes = [ctypes.c_int]
        self.init1.restype = ctypes.c_int
        self.add_watch = libc.inotify_add_watch
        self.add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self.add_watch.restype = ctypes.c_int
        self.rm_watch = libc.inotify_rm_watch
        self.rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
        self.rm_watch.restype = ctypes.c_int


_libc: _Libc | None = None


def _calls() -> _Libc:
    global _libc
    if _libc is None:
        _libc = _Libc()
    return _libc


def _raise_errno(what: str, path: bytes | None = None) -> None:
    code = ctypes.get_errno()
    raise OSError(code, f"{what}: {os.strerror(code)}", os.fsdecode(path) if path is not None else None)


class Inotify:
    """One inotify instance: a kernel queue of events for the watches added to it.

    The descriptor is non-blocking: :meth:`read` returns ``b""`` when the queue is empty,
    and a caller waits for it with ``select``/``poll`` on :attr:`fd`.
    """

    def __init__(self) -> None:
        self._calls = _calls()
        fd = self._calls.init1(_IN_CLOEXEC | _IN_NONBLOCK)
        if fd < 0:
            _raise_errno("inotify_init1")
        self.fd: int = fd

    def add_watch(self, path: bytes, mask: int = WATCH_MASK) -> int:
        """Watch a directory; returns its watch descriptor (the same one again for the same inode)."""
        wd = self._calls.add_watch(self.fd, path, mask)
        if wd < 0:
            _raise_errno("inotify_add_watch", path)
        return int(wd)

    def rm_watch(self, wd: int) -> None:
        """Stop a watch; a watch the kernel already dropped (its folder deleted) is no error."""
        if self._calls.rm_watch(self.fd, wd) < 0 and ctypes.get_errno() != errno.EINVAL:
            _raise_errno("inotify_rm_watch")

    def read(self) -> bytes:
        """The events queued now, up to :data:`BUFFER_SIZE` bytes; ``b""`` when none.

        The queue's length is asked first (``FIONREAD``, see ``inotify(7)``): most
        snapshots find it empty, and a ``read`` of an empty non-blocking queue raises,
        which costs several times the question.
        """
        queued = array.array("i", [0])
        fcntl.ioctl(self.fd, termios.FIONREAD, queued, True)
        if not queued[0]:
            return b""
        while True:
            try:
                return os.read(self.fd, BUFFER_SIZE)
            except BlockingIOError:
                return b""
            except InterruptedError:
                continue

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)


def parse_events(buffer: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    """``(wd, mask, cookie, name)`` for each event in one read's buffer (name without padding)."""
    offset, end = 0, len(buffer)
    header = _HEADER
    while offset + header.size <= end:
        wd, mask, cookie, length = header.unpack_from(buffer, offset)
        start = offset + header.size
        name = buffer[start : start + length].rstrip(b"\0")
        offset = start + length
        yield wd, mask, cookie, name
