"""A watchdog inotify observer that skips excluded directories and reports lost events.

watchdog's recursive inotify watch puts a watch on every directory, including
``.venv``, ``node_modules`` and WTB's own blob store (whose writes would flood the
kernel queue during a large snapshot), and it handles a queue overflow internally
without telling the event handler. Both matter here: a tracker must know when it
lost events. This module subclasses watchdog's inotify classes (pinned to 7.x in
``pyproject.toml``) to prune directories through a policy and to call the policy when
the kernel dropped events or a directory could not be watched. Linux only; the
caller treats any import or start failure as "no watcher" and walks instead.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from typing import Any, Protocol

from watchdog.events import FileSystemEvent
from watchdog.observers.api import DEFAULT_OBSERVER_TIMEOUT, BaseObserver, EventQueue, ObservedWatch
from watchdog.observers.inotify import InotifyEmitter, InotifyWatchGroup
from watchdog.observers.inotify_c import InotifyFD


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


@dataclass
class _PrunedWatchGroup(InotifyWatchGroup):
    policy: Any = None

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


class PrunedInotifyObserver(BaseObserver):
    """An observer with its own inotify instance (its own kernel queue) and a policy."""

    def __init__(self, policy: WatchPolicy) -> None:
        self._inotify_fd = InotifyFD()
        self._inotify_fd.start()
        super().__init__(
            _PrunedEmitter, timeout=DEFAULT_OBSERVER_TIMEOUT, inotify_fd=self._inotify_fd, policy=policy
        )

    def on_thread_stop(self) -> None:
        super().on_thread_stop()
        self._inotify_fd.stop()
        self._inotify_fd.join()
