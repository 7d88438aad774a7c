"""The watch of a workspace on platforms without WTB's own inotify reader (macOS, Windows),
through watchdog's public ``Observer`` API only.

watchdog picks the platform's native API (FSEvents, ReadDirectoryChangesW; inotify on
Linux) or, asked for, its polling observer. Each event is told to the policy as the
inotify bits it stands for, so the watcher treats both sources alike. This path cannot
pump the queue on the caller's thread nor prune excluded folders, so its barrier is a
cookie *file* whose creation and removal the caller waits to hear of (see
``Watcher.barrier``). It runs in WTB's own tests on Linux, through the same public
interface (watchdog's inotify and polling observers), so it cannot rot unseen.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from wtb.filetrack.inotify import IN_CLOSE_WRITE, IN_CREATE, IN_DELETE, IN_MODIFY, IN_MOVED_FROM, IN_MOVED_TO
from wtb.filetrack.inotify_tree import WatchPolicy

_MASKS = {
    EVENT_TYPE_CREATED: IN_CREATE,
    EVENT_TYPE_DELETED: IN_DELETE,
    EVENT_TYPE_MODIFIED: IN_MODIFY,
    EVENT_TYPE_CLOSED: IN_CLOSE_WRITE,
}


class _ToPolicy(FileSystemEventHandler):
    """Forwards each event to the policy as the inotify bits it stands for."""

    def __init__(self, policy: WatchPolicy) -> None:
        self._policy = policy

    def on_any_event(self, event: FileSystemEvent) -> None:
        is_dir = event.is_directory
        if event.event_type == EVENT_TYPE_MOVED:
            self._policy.on_change(os.fsencode(event.src_path), is_dir, IN_MOVED_FROM)
            self._policy.on_change(os.fsencode(event.dest_path), is_dir, IN_MOVED_TO)
            return
        mask = _MASKS.get(event.event_type)
        if mask is not None:  # opened, closed without writing: nothing changed
            self._policy.on_change(os.fsencode(event.src_path), is_dir, mask)


class WatchdogTree:
    """watchdog's observer on ``root``, recursive (the barrier's cookie files are inside it)."""

    def __init__(self, root: Path, policy: WatchPolicy, *, polling: bool = False, poll_s: float = 0.05) -> None:
        self._observer: BaseObserver = PollingObserver(timeout=poll_s) if polling else Observer()
        handler = _ToPolicy(policy)
        self._observer.schedule(handler, str(root), recursive=True)

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        with contextlib.suppress(RuntimeError):
            self._observer.join(timeout=5)

    def is_alive(self) -> bool:
        return self._observer.is_alive()

    def pump(self) -> bool:
        """Events arrive on watchdog's threads only; a caller cannot read them sooner."""
        return self.is_alive()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        yield
