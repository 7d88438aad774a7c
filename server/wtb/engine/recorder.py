"""The files of each checkpoint of a run, and the root graph's head.

One :class:`RunRecorder` per run. The saver calls :meth:`RunRecorder.take_snapshot` just
before LangGraph stores a checkpoint (the workspace then holds exactly that step's
files) and :meth:`RunRecorder.on_checkpoint` right after. The step's output files are
the difference to the snapshot of the checkpoint before *in the same graph*: a
subgraph's steps are compared with each other, and the parent's step that ran the
subgraph with the parent's step before it. What LangGraph says of each checkpoint
(state, next nodes, interrupts) is recorded from the run's stream (``engine/views.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from wtb.engine.link_writer import HOLD_LINKS_S, LINK_WRITER

EventSink = Callable[[dict[str, Any]], None]
logger = logging.getLogger(__name__)
Scope = tuple[tuple[str, str], ...]  # a subgraph run: its parents' (namespace, checkpoint id); () for the root


class Tracker(Protocol):
    """The part of the file tracking service a run needs."""

    def snapshot(self) -> str: ...
    def snapshot_for(
        self, checkpoint_id: str, execution_id: str, previous: str | None, *, link: bool = True
    ) -> tuple[str, dict[str, str | None]]: ...
    def changes(self, old: str | None, new: str) -> dict[str, str | None]: ...
    def link_checkpoints(
        self, execution_id: str, links: Mapping[str, tuple[str, Mapping[str, str | None]]]
    ) -> None: ...
    def link_stop(self, checkpoint_id: str, execution_id: str, snapshot_id: str) -> None: ...


def scope_of(metadata: dict[str, Any]) -> Scope:
    """Which graph a checkpoint belongs to, from LangGraph's ``parents`` metadata
    (namespace -> checkpoint id of every enclosing graph; empty for the root graph)."""
    parents = metadata.get("parents") or {}
    return tuple(sorted((str(ns), str(cid)) for ns, cid in parents.items()))


def _enclosing(scope: Scope) -> Scope:
    deepest = max(ns for ns, _ in scope)
    return tuple(entry for entry in scope if entry[0] != deepest)


class RunRecorder:
    """The files of one run's checkpoints.

    ``hold_links``: link checkpoints to their snapshots a burst at a time, at most
    ``HOLD_LINKS_S`` after the first (``engine/link_writer.py``) and when the caller calls
    :meth:`write_links` at the run's end, instead of one transaction each: a commit costs
    more than a quick step's snapshot. A checkpoint is linked only once it is stored; one
    whose link a crash lost is linked again from its metadata (``engine/relink.py``).
    """

    def __init__(
        self, execution_id: str, tracker: Tracker | None, previous_snapshot: str | None, *, hold_links: bool = False
    ) -> None:
        self.execution_id = execution_id
        #: The root graph's latest checkpoint.
        self.head: str | None = None
        #: The latest checkpoint stored in any graph (see :attr:`stopped_at`).
        self.last: str | None = None
        #: checkpoint id -> (snapshot, output files), for every checkpoint this run stored.
        self.links: dict[str, tuple[str, dict[str, str | None]]] = {}
        #: checkpoint id -> the nodes a recording answered in the step that made it.
        self.replayed: dict[str, list[str]] = {}
        self._tracker = tracker
        self._previous: dict[Scope, str | None] = {(): previous_snapshot}
        self._start_snapshot: str | None = None
        self._outputs: dict[str, dict[str, str | None]] = {}  # checkpoint id -> output files, snapshot taken
        self._hold_links = hold_links
        self._held: dict[str, tuple[str, dict[str, str | None]]] = {}  # links not written yet
        self._held_since = 0.0
        self._held_lock = threading.Lock()  # the link writer's thread writes them too

    def _previous_of(self, scope: Scope) -> str | None:
        while scope and scope not in self._previous:
            scope = _enclosing(scope)
        return self._previous.get(scope)

    def take_snapshot(self, checkpoint: dict[str, Any], metadata: dict[str, Any]) -> str | None:
        """The workspace's files for the checkpoint being stored.

        It is linked to the checkpoint once the checkpoint is stored (:meth:`on_checkpoint`). The root graph's
        ``fork`` checkpoint (LangGraph's copy of the checkpoint a run resumes from) has
        exactly the files of that checkpoint: the workspace was brought to them before
        the run, and LangGraph may store it while the first node already runs, so a
        fresh snapshot could catch that node's writes. Its ``input`` checkpoint has the
        files taken as the run started (:meth:`take_start_snapshot`).
        """
        if self._tracker is None:
            return None
        scope = scope_of(metadata)
        if not scope and metadata.get("source") == "fork" and self._previous[()] is not None:
            return self._previous[()]
        if not scope and metadata.get("source") == "input" and self._start_snapshot is not None:
            return self._start_snapshot
        checkpoint_id = str(checkpoint["id"])
        previous = self._previous_of(scope)
        snapshot, outputs = self._tracker.snapshot_for(checkpoint_id, self.execution_id, previous, link=False)
        self._outputs[checkpoint_id] = outputs
        return snapshot

    def take_start_snapshot(self) -> None:
        """Snapshot the files as the run starts: they are the files of its ``input`` checkpoint.

        LangGraph stores that checkpoint from a background thread while the run's own
        thread is busy starting the first step; taken there, the snapshot's waits would
        queue behind that thread for the interpreter lock, and it could see a write of
        the first node. Taken here, before the graph starts, it costs its own time only.
        """
        if self._tracker is not None:
            self._start_snapshot = self._tracker.snapshot()

    def take_stop_snapshot(self, checkpoint_id: str) -> None:
        """Snapshot the files as the run stops at ``checkpoint_id`` with a step left to run.

        Tasks of that step may have finished and written files before another asked a
        question or failed; LangGraph keeps their results and does not run them again, so a
        resume starts from these files, not the checkpoint's (``SqliteFileTrackingService.link_stop``).
        """
        if self._tracker is None:
            return
        try:
            self._tracker.link_stop(checkpoint_id, self.execution_id, self._tracker.snapshot())
        except Exception:  # the resume then starts from the checkpoint's own files, as before
            logger.warning("could not record the files run %s stopped with", self.execution_id, exc_info=True)

    def on_checkpoint(
        self, checkpoint: dict[str, Any], metadata: dict[str, Any], parent: str | None, snapshot: Any
    ) -> None:
        checkpoint_id = str(checkpoint["id"])
        scope = scope_of(metadata)
        if metadata.get("wtb_replayed"):
            self.replayed[checkpoint_id] = list(metadata["wtb_replayed"])
        if self._tracker is not None and snapshot is not None:
            output_files = self._outputs.pop(checkpoint_id, None)
            if output_files is None:
                previous = self._previous_of(scope)
                output_files = self._tracker.changes(previous, snapshot) if previous is not None else {}
            self._previous[scope] = snapshot
            self.links[checkpoint_id] = (snapshot, output_files)
            self._hold(checkpoint_id, snapshot, output_files)
        self.last = checkpoint_id
        if not scope:
            self.head = checkpoint_id

    def _hold(self, checkpoint_id: str, snapshot: str, output_files: dict[str, str | None]) -> None:
        with self._held_lock:
            first = not self._held
            if first:
                self._held_since = time.monotonic()
            self._held[checkpoint_id] = (snapshot, output_files)
            due = not self._hold_links or time.monotonic() - self._held_since >= HOLD_LINKS_S
        if due:
            self.write_links()
        elif first:
            LINK_WRITER.write_later(self)

    def write_links(self) -> None:
        """Link the checkpoints stored and not linked yet, in one transaction (kept if it fails)."""
        with self._held_lock:
            if not self._held or self._tracker is None:
                return
            held, self._held = self._held, {}
            try:
                self._tracker.link_checkpoints(self.execution_id, held)
            except BaseException:
                self._held = {**held, **self._held}
                raise

    @property
    def stopped_at(self) -> str | None:
        """The execution's head after the run: the root graph's latest checkpoint, or, for a
        run that went on inside a subgraph and stopped there again (storing none of the
        root's), the latest one it stored, from which the next resume goes on."""
        return self.head if self.head is not None else self.last
