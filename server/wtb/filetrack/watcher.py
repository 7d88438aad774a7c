"""The workspace watcher: a dirty set of changed paths, and a barrier to trust it.

While the service is open, a watchdog observer records every tracked path that is
created, written, chmod-ed, renamed or deleted (a directory stands for everything
below it). A snapshot then only re-examines those paths.

Events arrive asynchronously, so "nothing in the dirty set" is only true once every
event that happened before the snapshot has been handled. The barrier is watchman's
cookie technique: make a watched folder send an event and wait for it. inotify
queues one instance's events in order, and the caller reads that queue up to the
cookie on its own thread (see ``_inotify.py``), so when the cookie is seen, every
earlier change is in the dirty set.

The cookie folder is ``<data_dir>/.filetrack/cookies/`` when the data directory is
inside the workspace (that folder alone is watched there; the rest of the data
directory is pruned), and otherwise the workspace root itself. Its cookie event is
the ``IN_ATTRIB`` of a ``chmod`` to its own mode: nothing is created in the
workspace and nothing visible changes.

The watcher is only trusted when it is running, the cookie arrived in time, no events
were lost (kernel queue overflow, a directory that could not be watched) and no
ignore file changed; otherwise the caller restarts it and walks the workspace.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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

from wtb.filetrack.ignore import IGNORE_FILES, Rules
from wtb.filetrack.paths import relative_to

if TYPE_CHECKING:
    from wtb.filetrack._inotify import PrunedInotifyObserver

log = logging.getLogger(__name__)

BARRIER_TIMEOUT_S = 2.0
_IN_CLOSE_WRITE, _IN_MOVED_FROM, _IN_MOVED_TO, _IN_ISDIR = 0x08, 0x40, 0x80, 0x40000000
# The event bits of anything done to a name other than a restore's own write: renaming
# a file onto it, or exchanging one with it (the old file moves out, the new one in).
# A close after writing is left out: a restore closes its file after the rename (so
# that its stat has the rename's ctime), and content only changes through a write or a
# truncate, which send IN_MODIFY of their own. Renames by others are told apart by
# the inode (see ``SqliteFileTrackingService._settle``).
_NOT_A_RENAME_INTO = ~(_IN_MOVED_FROM | _IN_MOVED_TO | _IN_CLOSE_WRITE | _IN_ISDIR) & 0xFFFFFFFF
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


@dataclass(frozen=True)
class Drain:
    """The paths changed since the previous drain, and whether that list is complete."""

    paths: set[str]
    trusted: bool
    reason: str = ""


class _Unused(FileSystemEventHandler):
    """watchdog's observer needs a handler; changes come through ``Watcher.on_change`` instead."""

    def dispatch(self, event: FileSystemEvent) -> None:
        return None


class Watcher:
    """Keeps the dirty set of one workspace while started."""

    def __init__(self, root: Path, data_dir: Path, make_rules: Callable[[], Rules]) -> None:
        self._root = str(root)
        self._prefix = self._root + "/"
        self._make_rules = make_rules
        data_rel = relative_to(root, data_dir)
        # The folder whose own attribute events are the barrier's cookies: one of WTB's
        # (watched although the data directory is pruned), or the workspace root.
        self._cookie_dir = data_dir / ".filetrack" / "cookies" if data_rel else root
        self._cookie_key = os.fsencode(self._cookie_dir)
        self._own_cookie_dir = bool(data_rel)
        self._cookie_events = 0
        self._cookie_mode: int | None = None  # the cookie folder's own mode, read at the first barrier
        self._barrier_lock = threading.Lock()
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._lost: str | None = None
        self._rules_changed = False
        self._rules: Rules | None = None
        self._observer: PrunedInotifyObserver | None = None
        self._written: set[str] | None = None  # see touched_in_place()

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
        self._cookie_mode = None
        with self._lock:
            self._rules = self._make_rules()
            self._dirty = set()
            self._lost = None
            self._rules_changed = False
        observer: PrunedInotifyObserver | None = None
        try:
            from wtb.filetrack._inotify import PrunedInotifyObserver

            observer = PrunedInotifyObserver(self)
            observer.schedule(_Unused(), self._root, recursive=True, event_filter=_EVENTS)
            observer.start()
        except Exception:
            log.warning("file watcher unavailable for %s; snapshots will walk", self._root, exc_info=True)
            if observer is not None:
                with contextlib.suppress(Exception):
                    observer.stop()
            return False
        self._observer = observer
        return True

    def _pump(self) -> None:
        """Read the kernel's queue up to now on this thread (the cookie's event included)."""
        observer = self._observer
        if observer is not None:
            observer.pump()

    def pump(self) -> None:
        """Handle the events queued so far, on this thread (keeps the queue short in :meth:`quiet`)."""
        self._pump()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Hold the reader thread off while this thread writes many files itself.

        Each of the reader's wake-ups would take the interpreter lock from the writer
        between two system calls; its events wait in the kernel queue instead and the
        next barrier (or :meth:`pump`) reads them on this thread, in one go.
        """
        observer = self._observer
        if observer is None:
            yield
            return
        self._written = set()
        with observer.held():
            yield

    def touched_in_place(self) -> set[str] | None:
        """Stop noting event kinds (begun by :meth:`quiet`); returns the paths that had any
        event other than being renamed into since then, up to the last barrier (None: not
        noted). A restore's own write of a file shows only as the rename of its temporary
        file onto the name; anything else on that name is someone else's doing."""
        written, self._written = self._written, None
        return written

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
        """Touch the cookie folder and read the kernel queue up to its event.

        The event is queued during the ``chmod`` itself (to the folder's own mode, so
        only its ctime changes), so reading the queue on this thread right after finds
        it without waiting for the reader thread; counting cookie events, rather than
        naming each cookie, survives the kernel merging two of them. Creating and
        removing a cookie file cost ten times as much on a journalling file system.
        """
        if not self.running:
            return False
        with self._barrier_lock:
            seen = self._cookie_events
            try:
                mode = self._cookie_mode
                if mode is None:
                    mode = stat.S_IMODE(os.stat(self._cookie_dir).st_mode)
                    if self._own_cookie_dir:
                        self._cookie_mode = mode  # nobody else chmods WTB's folder; the root is re-read
                os.chmod(self._cookie_dir, mode)
            except OSError:
                return False
            deadline = time.monotonic() + timeout
            while True:
                self._pump()
                if self._cookie_events != seen:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.001)

    def drain(self, timeout: float = BARRIER_TIMEOUT_S, *, own: bool = False) -> Drain:
        """Take the dirty set after a barrier, and say whether it can be trusted.

        ``own``: only this process's changes so far need to be in it (a restore settling
        its writes). The kernel queues an event in the system call that causes it, so
        reading the queue to its end is enough, without a cookie; a change another
        process is making meanwhile is in the next drain.
        """
        if own and self.running:
            self._pump()
            arrived = True
        else:
            arrived = self.barrier(timeout)
        if not arrived and not self.running:
            return Drain(set(), False, "the watcher is not running")
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

    def requeue(self, paths: set[str]) -> None:
        """Put drained paths back: the next drain returns them again."""
        if paths:
            with self._lock:
                self._dirty |= paths

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
        return [] if self._cookie_key == os.fsencode(self._root) else [self._cookie_key]

    def on_lost_events(self, why: str) -> None:
        log.warning("file watcher of %s lost events: %s", self._root, why)
        with self._lock:
            self._lost = self._lost or why

    def on_folder_attrib(self, path: bytes) -> None:
        if path == self._cookie_key:
            self._cookie_events += 1

    def on_change(self, path: bytes, is_dir: bool, mask: int = 0) -> None:
        text = os.fsdecode(path)
        if not text.startswith(self._prefix):
            return
        rel = text[len(self._prefix) :]
        written = self._written
        if rel in self._dirty:  # already dirty: a file being written sends one event per write() call
            if written is not None and mask & _NOT_A_RENAME_INTO:
                written.add(rel)
            return
        rules = self._rules
        if rules is not None and rules.excluded_path(rel, is_dir):
            return
        with self._lock:
            self._dirty.add(rel)
            if rel.rpartition("/")[2] in IGNORE_FILES:
                self._rules_changed = True
        if written is not None and mask & _NOT_A_RENAME_INTO:
            written.add(rel)
