"""Empty files made ahead, so that storing a new blob does not pay for creating one.

Measured on this machine's ext4: creating a file costs ~115 µs (a new inode, a journalled
directory entry), writing 2 KB to it 5 µs, renaming it into its shard 12 µs. A snapshot
that found a changed file stores one new blob, so creation was most of a changed
checkpoint's cost. A thread of the blob store's own keeps a few empty, read-only files
open in ``blobs/tmp/``; a blob is written into one and renamed into place.

Spares are first made after the first blob this process stored (a process that stores
none, a read-only CLI command, makes none), and the ones left are removed at close. A
spare left by a process that died is an old temporary file: the collector removes it
(``BlobStore.remove_stale_temps``).
"""

from __future__ import annotations

import contextlib
import os
import threading

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class SpareFiles:
    """Up to ``count`` empty files (open for writing, mode 0444) in ``folder``, refilled on a thread."""

    def __init__(self, folder: str, prefix: str, count: int = 16) -> None:
        self._folder = folder
        self._prefix = prefix
        self._count = count
        self._ready: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def take(self) -> tuple[int, str] | None:
        """An empty file (descriptor, path) to write and rename; None when none is ready.

        The caller calls :meth:`refill` once its batch of blobs is in place (or when none
        is ready): a spare made while the caller still renames or unlinks in the same
        folder would wait on the folder's lock and make the caller wait too (measured: an
        unlink went from 5 µs to 125 µs).
        """
        with self._lock:
            return self._ready.pop() if self._ready else None

    def refill(self) -> None:
        """Wake the thread to make spares up to the count (started at the first call)."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wtb-blob-spares", daemon=True)
                self._thread.start()
        self._wake.set()

    def paths(self) -> set[str]:
        """The spares ready now (a collector must leave them)."""
        with self._lock:
            return {path for _, path in self._ready}

    def close(self) -> None:
        """Stop the thread and remove the spares not taken."""
        with self._lock:
            self._closed = True
            ready, self._ready = self._ready, []
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        with self._lock:
            ready += self._ready
            self._ready = []
        for fd, path in ready:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(path)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            try:
                self._fill()
            except OSError:
                return  # the folder is gone or full: blobs are created the ordinary way

    def _fill(self) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._ready) >= self._count:
                    return
            path = f"{self._folder}/{self._prefix}{os.urandom(8).hex()}"
            fd = os.open(path, _FLAGS, 0o444)
            with self._lock:
                if not self._closed:
                    self._ready.append((fd, path))
                    continue
            os.close(fd)
            os.unlink(path)
            return
