"""The thread that writes a run's held file links at most :data:`HOLD_LINKS_S` after the first.

A run links its checkpoints to their snapshots a burst at a time (``RunRecorder`` with
``hold_links``). The run's own thread writes a burst when it is due at the next
checkpoint and at the run's end; this thread writes it when no checkpoint comes in time
(a node that runs for minutes), so that another process (the editor's daemon) sees every
stored checkpoint's files within that time, and no snapshot waits unlinked long enough for
a collection to take it. One daemon thread per process, woken once per burst.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Protocol

logger = logging.getLogger(__name__)

#: The longest a stored checkpoint waits for its file link while its run goes on.
HOLD_LINKS_S = 0.25


class HeldLinks(Protocol):
    def write_links(self) -> None: ...


class LinkWriter:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, HeldLinks]] = []  # (when, order, holder), a heap
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def write_later(self, holder: HeldLinks) -> None:
        """Have ``holder.write_links()`` called :data:`HOLD_LINKS_S` from now (a no-op if it wrote them by then)."""
        with self._cond:
            heapq.heappush(self._due, (time.monotonic() + HOLD_LINKS_S, next(self._order), holder))
            if self._thread is None or not self._thread.is_alive():  # also after a fork: threads do not survive it
                self._thread = threading.Thread(target=self._serve, name="wtb-link-writer", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._cond.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, holder = heapq.heappop(self._due)
            try:
                holder.write_links()
            except Exception:  # kept by the holder: its run writes them at its end, or fails there
                logger.warning("could not write a run's file links yet", exc_info=True)


#: The process's writer.
LINK_WRITER = LinkWriter()
