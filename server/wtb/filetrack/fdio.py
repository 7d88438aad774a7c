"""Unbuffered reads and writes on raw descriptors.

The blob store and restore move many small files; Python's buffered file objects
cost more than the system calls for those, so both work on descriptors directly.
"""

from __future__ import annotations

import os


def read_up_to(fd: int, expected: int) -> bytes:
    """The file's content if it has ``expected`` bytes, or ``expected + 1`` bytes if it grew.

    One ``read`` on a local file; more only if the system returns less than asked
    before the end (some network and FUSE file systems do).
    """
    data = os.read(fd, expected + 1)
    if not data or len(data) >= expected:
        return data
    parts = [data]
    got = len(data)
    while got < expected and (more := os.read(fd, expected + 1 - got)):
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
