"""Workspace files in and out of workers, through the file tracker's bundles.

The driver ships the batch's starting point as a snapshot bundle (trees and every blob),
which each worker imports into its private store and restores into its own workspace
directory. A worker ships back its execution's checkpoint links plus a bundle of their
snapshots holding only the blobs the driver does not already have (anything in the
starting snapshot is known). All calls to the file tracker's bundle API live here.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import msgpack

from wtb.config import FileTrackingConfig
from wtb.engine.services import Services

FORMAT = "wtb-batch-files"


def workspace_bundle(services: Services, project: Any) -> tuple[str | None, bytes | None]:
    """Snapshot the workspace now and bundle it: the files every variant starts from.

    With file tracking off, a throwaway tracker in a temporary directory
    takes the snapshot, so variants still get the workflow's files.
    """
    tracker = services.tracker
    if tracker is not None:
        snapshot = tracker.snapshot()
        return snapshot, tracker.export_bundle([snapshot])
    from wtb.filetrack import SqliteFileTrackingService

    scratch = Path(tempfile.mkdtemp(prefix="wtb-batch-base-"))
    try:
        config = FileTrackingConfig(watch=False)
        with SqliteFileTrackingService(services.workspace, scratch, config) as temporary:
            snapshot = temporary.snapshot()
            return snapshot, temporary.export_bundle([snapshot])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def export_snapshot(services: Services, snapshot: str) -> bytes:
    tracker = services.tracker
    assert tracker is not None, "a checkpoint with a snapshot implies file tracking"
    data: bytes = tracker.export_bundle([snapshot])
    return data


def import_snapshots(tracker: Any, data: bytes) -> list[str]:
    roots: list[str] = tracker.import_bundle(data)
    return roots


def materialise(tracker: Any, snapshot: str) -> None:
    """Make the (empty) worker workspace exactly ``snapshot``."""
    tracker.restore(snapshot)


def export_execution(tracker: Any, execution_id: str, known_snapshots: set[str]) -> bytes:
    """The execution's checkpoint links and their snapshots, minus blobs of ``known_snapshots``."""
    from wtb.filetrack.objects import EMPTY_TREE

    links = tracker.checkpoint_links(execution_id)
    roots = sorted({snapshot for snapshot, _ in links.values() if snapshot != EMPTY_TREE})
    known: set[str] = set()
    for snapshot in known_snapshots:
        known |= {entry.hash for entry in tracker.files(snapshot).values() if entry.hash}
    document = {
        "format": FORMAT,
        "snapshots": tracker.export_bundle(roots, known) if roots else None,
        "links": [[cp, execution_id, snapshot, outputs] for cp, (snapshot, outputs) in sorted(links.items())],
    }
    packed: bytes = msgpack.packb(document, use_bin_type=True)
    return packed


def import_execution(tracker: Any, data: bytes) -> int:
    """Store what :func:`export_execution` packed; returns the number of checkpoint links."""
    document = msgpack.unpackb(data, raw=False)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError("Not a WTB batch files document.")
    if document["snapshots"]:
        tracker.import_bundle(document["snapshots"])
    for checkpoint_id, execution_id, snapshot, outputs in document["links"]:
        tracker.link_checkpoint(checkpoint_id, execution_id, snapshot, outputs)
    return len(document["links"])


def hashes_at(services: Services, snapshot: str | None, paths: list[str]) -> dict[str, str | None]:
    """The content hash each path had in ``snapshot`` (None: absent), as ``changes`` reports them."""
    tracker = services.tracker
    if tracker is None or snapshot is None or not paths:
        return {}
    everything: dict[str, str | None] = tracker.changes(None, snapshot)
    return {path: everything.get(path) for path in paths}
