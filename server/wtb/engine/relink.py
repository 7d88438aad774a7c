"""Linking again the checkpoints whose file links a dead run never wrote.

A run links its checkpoints to their snapshots a burst at a time (``RunRecorder`` with
``hold_links``): one transaction for many quick steps instead of one each. A process that
dies in the middle of a burst (``kill -9``, a segfault, ``os._exit`` in a node) leaves
checkpoints that LangGraph stored but WTB never linked, whose files would be lost for a
rollback. Each checkpoint's metadata names its snapshot (``wtb_files``, written in the
checkpoint's own transaction by ``TrackingSaver.put``), so the run's reaper
(``engine/liveness.py``) links them from there. The snapshot itself was committed before
the checkpoint and is young, so no collection has removed it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import CheckpointTuple

from wtb.engine.checkpointer import FILES_KEY
from wtb.errors import WTBError
from wtb.models import Execution

if TYPE_CHECKING:
    from wtb.engine.services import Services

logger = logging.getLogger(__name__)


def relink_lost(services: Services, execution: Execution) -> int:
    """Link every checkpoint of ``execution`` that names its snapshot but has no link; returns how many."""
    tracker = services.tracker
    if tracker is None:
        return 0
    linked = tracker.checkpoint_links(execution.id)
    history = services.adapter.history(execution.thread_id, subgraphs=True)  # newest first
    snapshots = {checkpoint_id: snapshot for checkpoint_id, (snapshot, _) in linked.items()}
    for found in history:
        named = _named_snapshot(found)
        if named is not None:
            snapshots.setdefault(str(found.checkpoint["id"]), named)
    lost: dict[str, tuple[str, dict[str, str | None]]] = {}
    for found in reversed(history):
        checkpoint_id = str(found.checkpoint["id"])
        snapshot = _named_snapshot(found)
        if checkpoint_id in linked or snapshot is None:
            continue
        previous = snapshots.get(_before(found) or "")
        lost[checkpoint_id] = (snapshot, tracker.changes(previous, snapshot) if previous is not None else {})
    if lost:
        tracker.link_checkpoints(execution.id, lost)
        logger.info("linked the files of %d checkpoints of run %s again", len(lost), execution.id)
    return len(lost)


def try_relink_lost(services: Services, execution: Execution) -> None:
    """:func:`relink_lost`, warning instead of failing: the reaper's other work must go on."""
    try:
        relink_lost(services, execution)
    except (WTBError, OSError, ValueError, TypeError) as exc:
        logger.warning("could not link the files of run %s again: %s", execution.id, exc)


def _named_snapshot(found: CheckpointTuple) -> str | None:
    named: Any = (found.metadata or {}).get(FILES_KEY)
    return named if isinstance(named, str) else None


def _before(found: CheckpointTuple) -> str | None:
    """The checkpoint whose files a step's output files are counted from: the one before it in
    its graph, else (a subgraph's first) the enclosing graph's step that ran it."""
    if found.parent_config is not None:
        return str(found.parent_config["configurable"].get("checkpoint_id") or "") or None
    parents = (found.metadata or {}).get("parents") or {}
    namespace = str(found.config["configurable"].get("checkpoint_ns", ""))
    enclosing = [ns for ns in parents if str(ns) != namespace]
    return str(parents[max(enclosing)]) if enclosing else None
