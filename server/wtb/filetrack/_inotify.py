"""A watchdog inotify observer that skips excluded directories, reports lost events
and hands every change to its owner on the thread that reads the kernel queue.

watchdog's recursive inotify watch puts a watch on every directory, including
``.venv``, ``node_modules`` and WTB's own blob store (whose writes would flood the
kernel queue during a large snapshot), and it handles a queue overflow internally
without telling the event handler. Both matter here: a tracker must know when it
lost events. This module subclasses watchdog's inotify classes (pinned to 7.x in
``pyproject.toml``) to prune directories through a policy and to call the policy when
the kernel dropped events or a directory could not be watched. Linux only; the
caller treats any import or start failure as "no watcher" and walks instead.

Changes reach the policy straight from the thread that read them from the kernel
queue, in kernel order, right after watchdog has updated its watches for the event
(a new directory is watched before the next event is handled). watchdog's usual
route to an event handler goes through two more threads (its emitter and its
observer); a snapshot's barrier waits for its cookie's event, so every thread on the
way was a wake-up on the critical path of every checkpoint. The watch group
therefore keeps only the move events that its own watch bookkeeping pairs, and the
emitter has nothing else to forward. The reader itself can be driven from the
caller's thread (:meth:`PrunedInotifyObserver.pump`): the kernel queues an event
during the system call that causes it, so right after creating a cookie the caller
can read the queue up to it without waiting for any other thread.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from watchdog.events import FileSystemEvent
from watchdog.observers.api import DEFAULT_OBSERVER_TIMEOUT, BaseObserver, EventQueue, ObservedWatch
from watchdog.observers.inotify import InotifyEmitter, InotifyWatchGroup
from watchdog.observers.inotify_c import (
    DEFAULT_EVENT_BUFFER_SIZE,
    InotifyConstants,
    InotifyEvent,
    InotifyFD,
    WatchDescriptor,
)
from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper, PathedInotifyEvent

#: An inotify event's largest size (header and a full name): a read that left more room
#: than this in its buffer emptied the queue.
_LARGEST_EVENT = 16 + 256
#: Events whose handling updates watches (never skipped as repeats of a file's event).
_BOOKKEEPING = InotifyConstants.IN_ISDIR | InotifyConstants.IN_Q_OVERFLOW | InotifyConstants.IN_IGNORED


class WatchPolicy(Protocol):
    """What the observer asks its owner."""

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
        """A watched folder's own attributes changed (its parent, if watched, hears of it too)."""
        ...


class _MovePairs(InotifyMoveEventGrouper):
    """Holds a directory's ``IN_MOVED_FROM`` until its ``IN_MOVED_TO`` (watchdog moves watches
    by it); drops the rest. File moves never reach it: no watch depends on a file's name."""

    def put_event(self, event: PathedInotifyEvent) -> None:
        if event.ev.is_moved_from:
            super().put_event(event)
        elif event.ev.is_moved_to:
            self._group_moved_to_event(event)  # forget the pair's first half


@dataclass
class _PrunedWatchGroup(InotifyWatchGroup):
    policy: Any = None
    _move_event_grouper: InotifyMoveEventGrouper = field(default_factory=_MovePairs, init=False)

    def on_event(self, event: InotifyEvent) -> None:
        path = self._build_event_source_path(event)
        if event.is_directory or not event.name:
            super().on_event(event)  # watch bookkeeping: a file's writes and moves need none
        if path is None:
            return
        if event.name:
            self.policy.on_change(path, event.is_directory, event.mask)
        elif event.is_attrib:
            self.policy.on_folder_attrib(path)

    def on_file_event(self, wd: int, name: bytes, mask: int) -> None:
        """A file below a watched directory changed: no watch to update, only the policy to tell."""
        watched = self._active_callbacks_by_watch.get(WatchDescriptor(wd))
        if self._is_active and watched is not None:
            self.policy.on_change(watched + b"/" + name, False, mask)

    def on_self_attrib(self, wd: int) -> None:
        """A watched directory's own attributes changed (a barrier's cookie, a chmod)."""
        watched = self._active_callbacks_by_watch.get(WatchDescriptor(wd))
        if self._is_active and watched is not None:
            self.policy.on_folder_attrib(watched)

    def _add_all_callbacks(self, path: bytes) -> None:
        if path != self.path and not self.policy.should_watch(path):
            return
        self._add_callback(path)
        if self.is_recursive and os.path.isdir(path) and not os.path.islink(path):
            for top, dirnames, _ in os.walk(path):
                kept = []
                for name in dirnames:
                    full = os.path.join(top, name)
                    if not os.path.islink(full) and self.policy.should_watch(full):
                        kept.append(name)
                        self._add_callback(full)
                dirnames[:] = kept
        if path == self.path:
            for extra in self.policy.extra_dirs():
                self._add_callback(extra)

    def _add_callback(self, path: bytes) -> None:
        if path in self._active_callbacks_by_path:
            return  # mkdir -p: the parent's scan already watched this child
        try:
            wd = self._inotify_fd.add_callback(path, self.event_mask, self._callback, self._id)
        except OSError as exc:
            if path == self.path:
                raise
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                self.policy.on_lost_events(f"cannot watch {os.fsdecode(path)}: {exc}")
            return
        self._active_callbacks_by_path[path] = wd
        self._active_callbacks_by_watch[wd] = path

    def on_queue_overflow(self) -> None:
        self.policy.on_lost_events("the inotify queue overflowed")
        super().on_queue_overflow()


class _PrunedEmitter(InotifyEmitter):
    def __init__(
        self,
        event_queue: EventQueue,
        watch: ObservedWatch,
        *,
        timeout: float = 1.0,
        event_filter: list[type[FileSystemEvent]] | None = None,
        inotify_fd: InotifyFD | None = None,
        policy: WatchPolicy,
    ) -> None:
        super().__init__(event_queue, watch, timeout=timeout, event_filter=event_filter, inotify_fd=inotify_fd)
        self._policy = policy

    def on_thread_start(self) -> None:
        self._inotify = _PrunedWatchGroup(
            self._inotify_fd,
            os.fsencode(self.watch.path),
            is_recursive=self.watch.is_recursive,
            event_mask=self.get_event_mask_from_filter(),
            follow_symlink=False,
            policy=self._policy,
        )


class _PumpedInotifyFD(InotifyFD):
    """watchdog's inotify reader thread, whose queue a caller can also empty on its own thread.

    The descriptor is non-blocking. Reading and handling happen under one lock, by the
    reader thread when the descriptor becomes readable or by :meth:`pump`, so every
    event is handled once and in order, whichever thread reads it. watchdog's close
    protocol is kept: while anyone reads, ``close`` only wakes the poller, and the last
    reader to leave closes the descriptors.
    """

    #: How long the reader thread lets events gather after the queue became readable.
    #: Each wake-up competes for the interpreter lock with the thread doing the work
    #: (a node writing files, a restore renaming them): woken once per event, the
    #: reader made a 10-file restore three times slower. A barrier does not wait for
    #: this delay; it reads the queue itself.
    batch_delay_s = 0.01

    def __init__(self) -> None:
        super().__init__()
        self._pump_lock = threading.RLock()
        self._readers = 0
        os.set_blocking(self._inotify_fd, False)

    def run(self) -> None:
        while self.should_keep_running() and self._wait_readable():
            time.sleep(self.batch_delay_s)
            self.pump()

    def pump(self) -> bool:
        """Handle every event queued now; False once closed."""
        if not self._enter():
            return False
        try:
            with self._pump_lock:
                while True:
                    try:
                        buffer = os.read(self._inotify_fd, DEFAULT_EVENT_BUFFER_SIZE)
                    except BlockingIOError:
                        return True
                    except InterruptedError:
                        continue
                    self._handle_buffer(buffer)
                    if len(buffer) <= DEFAULT_EVENT_BUFFER_SIZE - _LARGEST_EVENT:
                        return True  # the kernel gave all it had when it was read: no second read
        finally:
            self._leave()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Keep the reader thread off the queue; this thread may still :meth:`pump` it."""
        with self._pump_lock:
            yield

    def _handle_buffer(self, buffer: bytes) -> None:
        """Handle one read's events, a file's repeated ones once.

        Writing one file queues three to six events (create, each write, chmod, close,
        the rename of its temporary name); the dirty set needs only its name. All of
        them happened before the ``read`` that returned them, so whoever examines the
        file after the first is handled sees the effect of every one. Events that keep
        watches up to date (a directory's, a watch's own, an overflow) are all handled.
        """
        files: dict[tuple[int, bytes], int] = {}  # a file's events since the last other event: their bits
        for wd, mask, cookie, name in self._parse_event_buffer(buffer):
            if name and not mask & _BOOKKEEPING:
                key = (wd, name)
                files[key] = files.get(key, 0) | mask
                continue
            self._deliver(files)  # in order with the events that update watches
            if not name and mask & ~InotifyConstants.IN_ISDIR == InotifyConstants.IN_ATTRIB:
                for group in self._groups(wd):
                    group.on_self_attrib(wd)
            elif wd != -1 or mask & InotifyConstants.IN_Q_OVERFLOW:
                self.handle_event(InotifyEvent(wd, mask, cookie, name))
        self._deliver(files)

    def _deliver(self, files: dict[tuple[int, bytes], int]) -> None:
        for (wd, name), mask in files.items():
            for group in self._groups(wd):
                group.on_file_event(wd, name, mask)
        files.clear()

    def _groups(self, wd: int) -> list[_PrunedWatchGroup]:
        """The watch groups of ``wd``, for an event that changes no watch and goes straight to them.

        watchdog's own route builds an event object and takes two locks per event; for
        the file events that make up nearly all of a workspace's, that was most of the
        cost of a barrier.
        """
        watch = self._watch_for_wd.get(WatchDescriptor(wd))
        if watch is None:
            return []
        return [g for g in watch.callbacks.values() if isinstance(g, _PrunedWatchGroup)]

    def _wait_readable(self) -> bool:
        """Block until the queue has data or the descriptor is being closed; False once closed."""
        if not self._enter():
            return False
        try:
            self._check_inotify_fd()
        finally:
            self._leave()
        with self._lock:
            return not self._closed

    def _enter(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._readers += 1
            self._is_reading = True
            return True

    def _leave(self) -> None:
        with self._lock:
            self._readers -= 1
            self._is_reading = self._readers > 0
            if self._closed and not self._is_reading:
                self._close_resources()


class PrunedInotifyObserver(BaseObserver):
    """An observer with its own inotify instance (its own kernel queue) and a policy."""

    def __init__(self, policy: WatchPolicy) -> None:
        self._inotify_fd = _PumpedInotifyFD()
        self._inotify_fd.start()
        super().__init__(
            _PrunedEmitter, timeout=DEFAULT_OBSERVER_TIMEOUT, inotify_fd=self._inotify_fd, policy=policy
        )

    def pump(self) -> bool:
        """Handle, on this thread, every event the kernel has queued so far."""
        return self._inotify_fd.pump()

    def held(self) -> contextlib.AbstractContextManager[None]:
        """Keep the reader thread off the kernel queue (see :meth:`Watcher.quiet`)."""
        return self._inotify_fd.held()

    def on_thread_stop(self) -> None:
        super().on_thread_stop()
        self._inotify_fd.stop()
        self._inotify_fd.join()
