"""The workspace watcher: a dirty set of changed paths, and a barrier to trust it.

While the service is open, a watchdog observer records every tracked path that is
created, written, chmod-ed, renamed or deleted. A snapshot then only re-examines
those paths.

Events arrive asynchronously, so "nothing in the dirty set" is only true once every
event that happened before the snapshot has been delivered. The barrier is
watchman's cookie technique: write a uniquely named file into a watched folder and
wait for its own event. inotify delivers one instance's events in order and
watchdog keeps that order, so when the cookie is seen, every earlier change is in
the dirty set.

Cookies live in ``<data_dir>/.filetrack/cookies/`` when the data directory is inside
the workspace (that folder alone is watched there; the rest of the data directory is
pruned), and otherwise as hidden ``.wtbcookie-*`` files in the workspace root, deleted
at once and always excluded from tracking.

The watcher is only trusted when it is running, the cookie arrived in time, no events
were lost (kernel queue overflow, a directory that could not be watched) and no
ignore file changed; otherwise the caller restarts it and walks the workspace.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver

from wtb.filetrack.ignore import COOKIE_PREFIX, IGNORE_FILES, Rules
from wtb.filetrack.paths import relative_to

log = logging.getLogger(__name__)

BARRIER_TIMEOUT_S = 2.0
_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileAttribEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
_counter = itertools.count()


@dataclass(frozen=True)
class Drain:
    """The paths changed since the previous drain, and whether that list is complete."""

    paths: set[str]
    trusted: bool
    reason: str = ""


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        self._watcher._on_event(event)


class Watcher:
    """Keeps the dirty set of one workspace while started."""

    def __init__(self, root: Path, data_dir: Path, make_rules: Callable[[], Rules]) -> None:
        self._root = str(root)
        self._make_rules = make_rules
        data_rel = relative_to(root, data_dir)
        if data_rel:
            self._cookie_dir = data_dir / ".filetrack" / "cookies"
            self._cookie_rel = data_rel + "/.filetrack/cookies/"
        else:
            self._cookie_dir = root
            self._cookie_rel = ""
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._lost: str | None = None
        self._rules_changed = False
        self._cookies: dict[str, threading.Event] = {}
        self._rules: Rules | None = None
        self._observer: BaseObserver | None = None

    @staticmethod
    def supported() -> bool:
        return sys.platform.startswith("linux")

    @property
    def running(self) -> bool:
        observer = self._observer
        return (
            observer is not None
            and observer.is_alive()
            and all(emitter.is_alive() for emitter in observer.emitters)
        )

    def start(self) -> bool:
        """Start watching (fresh rules, empty dirty set); False when it cannot here."""
        if self._observer is not None or not self.supported():
            return self.running
        self._cookie_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._rules = self._make_rules()
            self._dirty = set()
            self._lost = None
            self._rules_changed = False
        observer: BaseObserver | None = None
        try:
            from wtb.filetrack._inotify import PrunedInotifyObserver

            observer = PrunedInotifyObserver(self)
            observer.schedule(_Handler(self), self._root, recursive=True, event_filter=_EVENTS)
            observer.start()
        except Exception:
            log.warning("file watcher unavailable for %s; snapshots will walk", self._root, exc_info=True)
            if observer is not None:
                with contextlib.suppress(Exception):
                    observer.stop()
            return False
        self._observer = observer
        return True

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            with contextlib.suppress(RuntimeError):
                observer.join(timeout=5)

    def restart(self) -> bool:
        self.stop()
        return self.start()

    def barrier(self, timeout: float = BARRIER_TIMEOUT_S) -> bool:
        """Write a cookie and wait for its event: then every earlier event has been seen."""
        if not self.running:
            return False
        name = f"{COOKIE_PREFIX}{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:8]}"
        arrived = threading.Event()
        with self._lock:
            self._cookies[name] = arrived
        path = self._cookie_dir / name
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return arrived.wait(timeout)
        except OSError:
            return False
        finally:
            with self._lock:
                self._cookies.pop(name, None)
            with contextlib.suppress(OSError):
                os.unlink(path)

    def drain(self, timeout: float = BARRIER_TIMEOUT_S) -> Drain:
        """Take the dirty set after a barrier, and say whether it can be trusted."""
        if not self.running:
            return Drain(set(), False, "the watcher is not running")
        arrived = self.barrier(timeout)
        with self._lock:
            paths, self._dirty = self._dirty, set()
            lost, rules_changed = self._lost, self._rules_changed
        if lost:
            return Drain(paths, False, lost)
        if rules_changed:
            return Drain(paths, False, "an ignore file changed")
        if not arrived:
            return Drain(paths, False, f"the barrier cookie did not arrive within {timeout} s")
        return Drain(paths, True)

    def pending(self) -> set[str]:
        """A copy of the dirty set (for tests and diagnostics)."""
        with self._lock:
            return set(self._dirty)

    def simulate_overflow(self) -> None:
        """Test hook: drop the pending events and mark the watcher untrusted, as an overflow does."""
        self.on_lost_events("simulated overflow")
        with self._lock:
            self._dirty.clear()

    # -- the observer's policy (called from watchdog's threads) --

    def should_watch(self, path: bytes) -> bool:
        rel = relative_to(Path(self._root), Path(os.fsdecode(path)))
        rules = self._rules
        return rel is not None and (rel == "" or rules is None or not rules.excluded_path(rel, True))

    def extra_dirs(self) -> list[bytes]:
        return [os.fsencode(self._cookie_dir)] if self._cookie_rel else []

    def on_lost_events(self, why: str) -> None:
        log.warning("file watcher of %s lost events: %s", self._root, why)
        with self._lock:
            self._lost = self._lost or why

    def _on_event(self, event: FileSystemEvent) -> None:
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(raw)
            if not path.startswith(self._root + "/"):
                continue
            rel = path[len(self._root) + 1 :]
            if self._is_cookie(rel):
                continue
            rules = self._rules
            if rules is not None and rules.excluded_path(rel, event.is_directory):
                continue
            with self._lock:
                self._dirty.add(rel)
                if rel.rpartition("/")[2] in IGNORE_FILES:
                    self._rules_changed = True

    def _is_cookie(self, rel: str) -> bool:
        if self._cookie_rel:
            if not rel.startswith(self._cookie_rel):
                return False
            name = rel[len(self._cookie_rel) :]
        elif "/" in rel or not rel.startswith(COOKIE_PREFIX):
            return False
        else:
            name = rel
        with self._lock:
            arrived = self._cookies.get(name)
        if arrived is not None:
            arrived.set()
        return True
