"""The workspace watcher: a dirty set of changed paths, and a barrier to trust it.

While the service is open, a watch records every tracked path that is created,
written, chmod-ed, renamed or deleted (a directory stands for everything below it).
A snapshot then only re-examines those paths. On Linux the watch is WTB's own inotify
reader (``inotify_tree.py``); elsewhere, or when asked, watchdog's public observers
(``watchdog_tree.py``).

Events arrive asynchronously, so "nothing in the dirty set" is only true once every
event that happened before the snapshot has been handled. The barrier is watchman's
cookie technique: make a watched folder send an event and wait for it. With inotify,
one instance's events are queued in order and the caller reads that queue up to the
cookie on its own thread, so when the cookie is seen every earlier change is in the
dirty set. The cookie folder is ``<data_dir>/.filetrack/cookies/``, watched even
though the rest of the data directory is pruned.

A barrier whose cookie does not arrive is found once, not paid for at every snapshot:
the watcher is then *broken* (one warning in the log; :meth:`Watcher.status` says so),
every drain says "walk" at once, and a background thread probes with a barrier until
one works again. After that one more walk catches up, and the dirty set is trusted
again. It is also untrusted while it is not running, after lost events (kernel queue
overflow, a directory that could not be watched) and after an ignore file changed;
then the caller restarts it and walks.
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
from typing import Protocol

from wtb import faults
from wtb.datafs import open_path
from wtb.errors import UnsafePathError
from wtb.filetrack.ignore import COOKIE_PREFIX, IGNORE_FILES, Rules
from wtb.filetrack.inotify import IN_CLOSE_WRITE, IN_ISDIR, IN_MOVED_FROM, IN_MOVED_TO
from wtb.filetrack.paths import relative_to
from wtb.models import WatcherStatus

log = logging.getLogger(__name__)

BARRIER_TIMEOUT_S = 2.0
#: How long a cookie round trip vouches for an inotify watcher: a drain within this time of
#: the last one reads the queue without a cookie of its own (see :meth:`Watcher.drain`).
COOKIE_TRUST_S = 0.5
#: How often a broken watcher is probed with a barrier (doubling up to the second figure).
PROBE_INTERVAL_S = (0.5, 30.0)
#: The watch backends a config may ask for; "auto" is inotify on Linux, else watchdog.
BACKENDS = ("auto", "inotify", "watchdog", "polling")
# The event bits of anything done to a name other than a restore's own write: renaming
# a file onto it, or exchanging one with it (the old file moves out, the new one in).
# A close after writing is left out: a restore closes its file after the rename (so
# that its stat has the rename's ctime), and content only changes through a write or a
# truncate, which send IN_MODIFY of their own. Renames by others are told apart by
# the inode (see ``SqliteFileTrackingService._settle``).
_NOT_A_RENAME_INTO = ~(IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ISDIR) & 0xFFFFFFFF


@dataclass(frozen=True)
class Drain:
    """The paths changed since the previous drain, and whether that list is complete.

    ``restart``: whether restarting the watch can help (it stopped, or lost events);
    a broken barrier is probed in the background instead.
    """

    paths: set[str]
    trusted: bool
    reason: str = ""
    restart: bool = True


class _Tree(Protocol):
    """A running watch of the workspace (``InotifyTree`` or ``WatchdogTree``)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def is_alive(self) -> bool: ...
    def pump(self) -> bool: ...
    def held(self) -> contextlib.AbstractContextManager[None]: ...


class Watcher:
    """Keeps the dirty set of one workspace while started."""

    def __init__(
        self, root: Path, data_dir: Path, make_rules: Callable[[], Rules], backend: str = "auto"
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"Unknown file watcher {backend!r}: use one of {', '.join(BACKENDS)}.")
        self._root = str(root)
        self._prefix = self._root + "/"
        self._make_rules = make_rules
        if backend == "auto":
            backend = "inotify" if sys.platform.startswith("linux") else "watchdog"
        self._backend = backend
        self._cookie_dir = data_dir / ".filetrack" / "cookies"
        self._cookie_key = os.fsencode(self._cookie_dir)
        self._cookie_prefix = self._cookie_key + b"/"
        self._cookies_in_workspace = backend != "inotify" and not self._cookie_dir.is_relative_to(root)
        if self._cookies_in_workspace:
            # watchdog has a thread per watch and orders events within one only: a cookie heard
            # from a data dir outside the workspace says nothing of the workspace's events. So
            # there the cookie files are made at the workspace's top, under a name walks skip.
            self._cookie_prefix = self._prefix.encode() + COOKIE_PREFIX.encode()
        self._cookie_events = 0  # inotify: the cookie folder's own attribute events
        self._cookie_files: dict[bytes, int] = {}  # watchdog: events heard per cookie file
        self._cookie_heard = threading.Condition()
        self._cookie_serial = 0
        self._cookie_mode: int | None = None  # the cookie folder's own mode, read at the first barrier
        self._barrier_lock = threading.Lock()
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._lost: str | None = None
        self._rules_changed = False
        self._rules: Rules | None = None
        self._tree: _Tree | None = None
        self._written: set[str] | None = None  # see touched_in_place()
        self._broken: str | None = None  # why the barrier is not trusted (see _on_broken_barrier)
        self._catch_up = False  # the barrier came back: one more walk before the dirty set is trusted
        self._barrier_timeouts = 0
        self._round_trip_s: float | None = None
        self._cookie_at: float | None = None  # when the last cookie arrived (monotonic)
        self._probe_stop = threading.Event()
        self._prober: threading.Thread | None = None

    @property
    def backend(self) -> str:
        """The watch this platform and config use: "inotify", "watchdog" or "polling"."""
        return self._backend

    @property
    def running(self) -> bool:
        tree = self._tree
        return tree is not None and tree.is_alive()

    def start(self) -> bool:
        """Start watching (fresh rules, empty dirty set); False when it cannot here."""
        if self._tree is not None:
            return self.running
        try:  # WTB's own folder: a link planted there is refused, never followed
            os.close(open_path(self._cookie_dir.parent.parent, [".filetrack", "cookies"], create=True))
        except (OSError, UnsafePathError) as exc:
            log.warning("file watcher unavailable for %s: %s; snapshots will walk", self._root, exc)
            return False
        self._cookie_mode = None
        self._cookie_at = None
        with self._lock:
            self._rules = self._make_rules()
            self._dirty = set()
            self._lost = None
            self._rules_changed = False
        tree: _Tree | None = None
        try:
            tree = self._make_tree()
            tree.start()
        except Exception:
            log.warning("file watcher unavailable for %s; snapshots will walk", self._root, exc_info=True)
            if tree is not None:
                with contextlib.suppress(Exception):
                    tree.stop()
            return False
        self._tree = tree
        return True

    def _make_tree(self) -> _Tree:
        if self._backend == "inotify":
            from wtb.filetrack.inotify_tree import InotifyTree

            return InotifyTree(os.fsencode(self._root), self)
        from wtb.filetrack.watchdog_tree import WatchdogTree

        return WatchdogTree(Path(self._root), self, polling=self._backend == "polling")

    def pump(self) -> None:
        """Handle the events queued so far, on this thread (keeps the queue short in :meth:`quiet`)."""
        tree = self._tree
        if tree is not None:
            tree.pump()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Hold the reader thread off while this thread writes many files itself.

        Each of the reader's wake-ups would take the interpreter lock from the writer
        between two system calls; its events wait in the kernel queue instead and the
        next barrier (or :meth:`pump`) reads them on this thread, in one go.
        """
        tree = self._tree
        if tree is None:
            yield
            return
        self._written = set()
        with tree.held():
            yield

    def touched_in_place(self) -> set[str] | None:
        """Stop noting event kinds (begun by :meth:`quiet`); returns the paths that had any
        event other than being renamed into since then, up to the last barrier (None: not
        noted). A restore's own write of a file shows only as the rename of its temporary
        file onto the name; anything else on that name is someone else's doing."""
        written, self._written = self._written, None
        return written

    def stop(self) -> None:
        self._probe_stop.set()
        tree, self._tree = self._tree, None
        if tree is not None:
            tree.stop()
        prober, self._prober = self._prober, None
        if prober is not None and prober is not threading.current_thread():
            prober.join(timeout=BARRIER_TIMEOUT_S + 1)
        self._probe_stop = threading.Event()
        self._broken = None
        self._catch_up = False

    def restart(self) -> bool:
        self.stop()
        return self.start()

    # -- the barrier --

    def barrier(self, timeout: float = BARRIER_TIMEOUT_S) -> bool:
        """Make the cookie folder send an event and wait until it has been handled.

        inotify: ``chmod`` the folder to its own mode (only its ctime changes); the event
        is queued during the call itself, so reading the queue on this thread right after
        finds it without waiting for the reader thread. Counting cookie events, rather
        than naming each cookie, survives the kernel merging two of them. watchdog: see
        :meth:`_file_cookie`.
        """
        if not self.running:
            return False
        with self._barrier_lock:
            began = time.perf_counter()
            arrived = self._file_cookie(timeout) if self._backend != "inotify" else self._attrib_cookie(timeout)
            if arrived:
                self._round_trip_s = time.perf_counter() - began
                self._cookie_at = time.monotonic()
            return arrived

    def _attrib_cookie(self, timeout: float) -> bool:
        seen = self._cookie_events
        try:
            mode = self._cookie_mode
            if mode is None:
                mode = self._cookie_mode = stat.S_IMODE(os.stat(self._cookie_dir).st_mode)
            os.chmod(self._cookie_dir, mode)
        except OSError:
            return False
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            if self._cookie_events != seen:
                return True
            if time.monotonic() >= deadline or not self.running:
                return False
            time.sleep(0.001)

    def _file_cookie(self, timeout: float) -> bool:
        """Create a cookie file, hear of it, remove it, hear of that.

        watchdog's observers hand over a batch of events at a time (a polling observer:
        everything one scan found, in an order of its own), so hearing the creation only
        proves the scan that saw it has begun; its removal is seen by a later scan, after
        every event of the first was handed over.
        """
        self._cookie_serial += 1
        name = os.fsencode(f"{os.getpid()}-{threading.get_ident()}-{self._cookie_serial}")
        path = self._cookie_prefix + name
        deadline = time.monotonic() + timeout
        with self._cookie_heard:
            self._cookie_files[name] = 0
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600))
            if not self._wait_cookie(name, 1, deadline):
                return False
            os.unlink(path)
            return self._wait_cookie(name, 2, deadline)
        except OSError:
            return False
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
            with self._cookie_heard:
                self._cookie_files.pop(name, None)

    def _wait_cookie(self, name: bytes, events: int, deadline: float) -> bool:
        with self._cookie_heard:
            while self._cookie_files.get(name, 0) < events:
                left = deadline - time.monotonic()
                if left <= 0 or not self.running:
                    return False
                self._cookie_heard.wait(min(left, 0.05))
            return True

    # -- the dirty set --

    def drain(self, timeout: float = BARRIER_TIMEOUT_S, *, own: bool = False) -> Drain:
        """Take the dirty set after a barrier, and say whether it can be trusted.

        ``own``: only this process's changes so far need to be in it (a restore settling
        its writes). With inotify the kernel queues an event in the system call that
        causes it, so reading the queue to its end is enough, without a cookie; a change
        another process is making meanwhile is in the next drain.

        The same holds for every change whose system call has returned (a node's writes,
        its subprocesses' that have exited): with inotify, the cookie proves only that the
        watch itself still works. So a drain within :data:`COOKIE_TRUST_S` of a cookie that
        arrived reads the queue without one (a run's checkpoints come much faster than
        that); a watch that stopped working is still found, by the next cookie.
        """
        if self._broken is not None or self._catch_up:
            return self._walk_instead()
        if self.running and self._backend == "inotify" and (own or self._cookie_vouches()):
            self.pump()
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
            return self._on_broken_barrier(f"the barrier cookie did not arrive within {timeout} s")
        return Drain(paths, True)

    def _cookie_vouches(self) -> bool:
        at = self._cookie_at
        return at is not None and time.monotonic() - at < COOKIE_TRUST_S

    def _walk_instead(self) -> Drain:
        """While broken, or once right after it came back: walk, without a barrier."""
        with self._lock:
            self._dirty = set()
        if self._catch_up and self._broken is None:
            self._catch_up = False
            return Drain(set(), False, "the file watcher came back: one walk to catch up", restart=False)
        return Drain(set(), False, self._broken or "", restart=False)

    def _on_broken_barrier(self, why: str) -> Drain:
        """The first barrier that failed: say so once, walk from now on, probe in the background."""
        self._barrier_timeouts += 1
        self._broken = why
        log.warning(
            "file watcher of %s is not trusted (%s): snapshots walk the workspace until a probe succeeds",
            self._root,
            why,
        )
        prober = threading.Thread(target=self._probe, args=(self._probe_stop,), name="wtb-watch-probe", daemon=True)
        self._prober = prober
        prober.start()
        return Drain(set(), False, why, restart=False)

    def _probe(self, stop: threading.Event) -> None:
        interval, longest = PROBE_INTERVAL_S
        while not stop.wait(interval):
            if self.barrier():
                self._catch_up = True
                self._broken = None
                log.warning("file watcher of %s is trusted again", self._root)
                return
            interval = min(interval * 2, longest)

    def status(self) -> WatcherStatus:
        """How snapshots find changes now (``mode`` "walking" with the reason when they walk)."""
        if self._tree is None:
            return WatcherStatus("off", "not watching", None, self._barrier_timeouts)
        reason = self._broken or ("" if self.running else "the watcher is not running")
        mode = "walking" if reason else self._backend
        rtt = None if self._round_trip_s is None else self._round_trip_s * 1000
        return WatcherStatus(mode, reason, rtt, self._barrier_timeouts)

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

    # -- the watch's policy (called from its reader threads) --

    def should_watch(self, path: bytes) -> bool:
        rel = relative_to(Path(self._root), Path(os.fsdecode(path)))
        rules = self._rules
        return rel is not None and (rel == "" or rules is None or not rules.excluded_path(rel, True))

    def extra_dirs(self) -> list[bytes]:
        return [self._cookie_key]

    def on_lost_events(self, why: str) -> None:
        log.warning("file watcher of %s lost events: %s", self._root, why)
        with self._lock:
            self._lost = self._lost or why

    def on_folder_attrib(self, path: bytes) -> None:
        if path == self._cookie_key and not faults.hit("watcher.drop_cookie"):
            self._cookie_events += 1

    def _on_cookie_file(self, path: bytes) -> None:
        if faults.hit("watcher.drop_cookie"):
            return
        name = path[len(self._cookie_prefix) :]
        with self._cookie_heard:
            if name in self._cookie_files:
                self._cookie_files[name] += 1
                self._cookie_heard.notify_all()

    def on_change(self, path: bytes, is_dir: bool, mask: int = 0) -> None:
        if path.startswith(self._cookie_prefix):
            self._on_cookie_file(path)
            return
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
