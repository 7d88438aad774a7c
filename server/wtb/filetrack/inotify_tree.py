"""A recursive inotify watch of one workspace that skips excluded directories, reports
lost events, and hands every change to its owner on the thread that reads the queue.

inotify watches single directories, so a tree needs a watch per directory, kept up to
date as directories are created, moved and deleted. This module keeps that map
(watch descriptor ↔ path) itself: directories the policy excludes (``.venv``,
``node_modules``, WTB's own blob store, whose writes would flood the queue during a
large snapshot) are never watched, and a queue overflow or a directory that could not
be watched is told to the policy, since a tracker must know when it lost events.

Changes reach the policy from the thread that read them, in kernel order, after the
watches were updated for them (a new directory is watched before the next event is
handled). The queue can also be read on the caller's own thread (:meth:`InotifyTree.pump`):
the kernel queues an event during the system call that causes it, so right after
touching a cookie the caller can read the queue up to it without waiting for any other
thread. That is what keeps a snapshot's barrier at tens of microseconds.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
import time
from collections.abc import Iterator
from typing import Protocol

from wtb.filetrack.inotify import (
    BUFFER_SIZE,
    IN_ATTRIB,
    IN_CREATE,
    IN_DELETE_SELF,
    IN_IGNORED,
    IN_ISDIR,
    IN_MOVE_SELF,
    IN_MOVED_FROM,
    IN_MOVED_TO,
    IN_Q_OVERFLOW,
    LARGEST_EVENT,
    Inotify,
    parse_events,
)


class WatchPolicy(Protocol):
    """What the watch asks its owner, and tells it."""

    def should_watch(self, path: bytes) -> bool:
        """Whether to put a watch on this directory (absolute path)."""
        ...

    def extra_dirs(self) -> list[bytes]:
        """Directories to watch although their parents are pruned (the barrier's cookie folder)."""
        ...

    def on_lost_events(self, why: str) -> None:
        """Events were dropped or a directory is unwatched: the dirty set is incomplete."""
        ...

    def on_change(self, path: bytes, is_dir: bool, mask: int) -> None:
        """Something at this absolute path was created, written, chmod-ed, moved or deleted
        (``mask``: the inotify event bits, several when a read held more than one event)."""
        ...

    def on_folder_attrib(self, path: bytes) -> None:
        """A watched folder's own attributes changed (a barrier's cookie, a chmod)."""
        ...


class InotifyTree:
    """Watches ``root`` and the directories below it that the policy keeps."""

    #: How long the reader thread lets events gather after the queue became readable.
    #: Each wake-up competes for the interpreter lock with the thread doing the work (a
    #: node writing files, a restore renaming them); woken once per event, the reader
    #: made a 10-file restore three times slower. A barrier does not wait for this
    #: delay: it reads the queue itself.
    batch_delay_s = 0.01

    def __init__(self, root: bytes, policy: WatchPolicy) -> None:
        self._root = root
        self._policy = policy
        self._inotify = Inotify()
        self._paths: dict[int, bytes] = {}  # watch descriptor -> directory
        self._wds: dict[bytes, int] = {}  # directory -> watch descriptor
        self._extra: set[bytes] = set()  # watched although their parents are not (the cookie folder)
        self._moves: dict[int, bytes] = {}  # a directory's IN_MOVED_FROM cookie -> its old path
        self._lock = threading.RLock()  # one reader of the queue at a time, in order
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._reading = False  # the reader thread is in its loop (asked at every snapshot: no Thread.is_alive)
        self._pid = os.getpid()  # a forked child has no reader thread

    # -- life cycle --

    def start(self) -> None:
        """Watch the tree and start the reader thread (raises when the root cannot be watched)."""
        with self._lock:
            self._watch_tree(self._root, is_root=True)
            for extra in self._policy.extra_dirs():
                self._watch(extra, required=True)
                self._extra.add(extra)
        self._thread = threading.Thread(target=self._run, name="wtb-inotify", daemon=True)
        self._reading = True
        try:
            self._thread.start()
        except BaseException:
            self._reading = False
            raise

    def stop(self) -> None:
        """Stop the reader thread and close the kernel queue."""
        self._stopping = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        with self._lock:
            self._inotify.close()
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def is_alive(self) -> bool:
        return self._reading and not self._stopping and os.getpid() == self._pid

    # -- reading --

    def pump(self) -> bool:
        """Handle, on this thread, every event queued now; False once stopped."""
        with self._lock:
            if self._stopping or self._inotify.fd < 0:
                return False
            while True:
                buffer = self._inotify.read()
                if buffer:
                    self._handle(buffer)
                if len(buffer) <= BUFFER_SIZE - LARGEST_EVENT:
                    break  # the kernel gave all it had when it was read: no second read
            self._moved_out()
            return True

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Keep the reader thread off the queue; this thread may still :meth:`pump` it."""
        with self._lock:
            yield

    def _run(self) -> None:
        try:
            self._read_until_stopped()
        finally:
            self._reading = False

    def _read_until_stopped(self) -> None:
        poller = select.poll()
        poller.register(self._inotify.fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while not self._stopping:
            try:
                ready = poller.poll()
            except InterruptedError:
                continue
            if self._stopping or any(fd == self._wake_r for fd, _ in ready):
                return
            time.sleep(self.batch_delay_s)
            if not self.pump():
                return

    def _handle(self, buffer: bytes) -> None:
        """Handle one read's events, a file's repeated ones once.

        Writing one file queues three to six events (create, each write, chmod, close,
        the rename of its temporary name); the dirty set needs only its name. All of
        them happened before the ``read`` that returned them, so whoever examines the
        file after the first is handled sees the effect of every one. Events that keep
        watches up to date (a directory's, a watch's own, an overflow) are handled in
        order with the file events around them.
        """
        files: dict[bytes, int] = {}  # a file's events since the last other event: their bits
        paths = self._paths
        for wd, mask, cookie, name in parse_events(buffer):
            folder = paths.get(wd)
            if name and folder is not None and not mask & IN_ISDIR:
                path = folder + b"/" + name
                files[path] = files.get(path, 0) | mask
                continue
            self._deliver(files)
            if mask & IN_Q_OVERFLOW:
                self._policy.on_lost_events("the inotify queue overflowed")
            elif mask & IN_IGNORED:
                self._forget(wd)
                if folder in self._extra:
                    self._policy.on_lost_events(f"{os.fsdecode(folder)} was removed")
            elif folder is None:
                continue  # a watch already forgotten
            elif not name:
                self._on_self(folder, mask)
            else:
                self._on_directory(folder + b"/" + name, mask, cookie)
        self._deliver(files)

    def _deliver(self, files: dict[bytes, int]) -> None:
        on_change = self._policy.on_change
        for path, mask in files.items():
            on_change(path, False, mask)
        files.clear()

    def _on_self(self, folder: bytes, mask: int) -> None:
        if mask & IN_ATTRIB:
            self._policy.on_folder_attrib(folder)
        if folder == self._root and mask & (IN_DELETE_SELF | IN_MOVE_SELF):
            self._policy.on_lost_events("the workspace folder was moved or deleted")

    def _on_directory(self, path: bytes, mask: int, cookie: int) -> None:
        """A directory below a watched one was created, moved or deleted: update the watches."""
        if mask & IN_MOVED_FROM:
            self._moves[cookie] = path
        elif mask & IN_MOVED_TO:
            old = self._moves.pop(cookie, None)
            if old is None or old not in self._wds:
                self._watch_tree(path)
            elif self._policy.should_watch(path):
                self._rename(old, path)
            else:
                self._unwatch(old)  # moved into an excluded folder
        elif mask & IN_CREATE:
            self._watch_tree(path)
        self._policy.on_change(path, True, mask)

    def _moved_out(self) -> None:
        """Directories moved away with no arrival inside the tree: unwatch what was below them."""
        for old in self._moves.values():
            self._unwatch(old)
        self._moves.clear()

    def _unwatch(self, top: bytes) -> None:
        for wd in self._watches_under(top):
            self._inotify.rm_watch(wd)
            self._forget(wd)

    # -- the watch map --

    def _watch_tree(self, top: bytes, *, is_root: bool = False) -> None:
        """Watch ``top`` and the kept directories below it (never through a symlink)."""
        if not is_root and not self._policy.should_watch(top):
            return
        if not self._watch(top, required=is_root):
            return
        for folder, dirnames, _ in os.walk(top):
            kept = []
            for name in dirnames:
                full = os.path.join(folder, name)
                if not os.path.islink(full) and self._policy.should_watch(full) and self._watch(full):
                    kept.append(name)
            dirnames[:] = kept

    def _watch(self, path: bytes, *, required: bool = False) -> bool:
        try:
            wd = self._inotify.add_watch(path)
        except OSError as exc:
            if required:
                raise
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                self._policy.on_lost_events(f"cannot watch {os.fsdecode(path)}: {exc.strerror}")
            return False
        stale = self._paths.get(wd)
        if stale is not None and self._wds.get(stale) == wd:
            del self._wds[stale]  # the same folder under another name
        self._paths[wd] = path
        self._wds[path] = wd
        return True

    def _forget(self, wd: int) -> None:
        path = self._paths.pop(wd, None)
        if path is not None and self._wds.get(path) == wd:
            del self._wds[path]

    def _rename(self, old: bytes, new: bytes) -> None:
        """A watched directory moved inside the tree: its watches (and those below) follow."""
        cut = len(old)
        for wd in self._watches_under(old):
            path = self._paths[wd]
            moved = new + path[cut:]
            if self._wds.get(path) == wd:
                del self._wds[path]
            self._paths[wd] = moved
            self._wds[moved] = wd

    def _watches_under(self, top: bytes) -> list[int]:
        prefix = top + b"/"
        return [wd for wd, path in self._paths.items() if path == top or path.startswith(prefix)]

    def watched(self) -> set[bytes]:
        """The directories watched now (for tests and diagnostics)."""
        with self._lock:
            return set(self._wds)
