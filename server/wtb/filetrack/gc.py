"""Garbage collection of snapshots, trees and blobs.

Roots are the snapshots linked to checkpoints and to where runs stopped, the pinned
ones, every snapshot touched within the grace period, and the stat index (the
workspace's current content). Everything reachable from them is kept; unrooted snapshot rows, tree rows
no root reaches, and blobs no root reaches are deleted.

Why this is safe with other processes at work:

* The caller holds the exclusive :class:`~wtb.locks.GcLock`; snapshots,
  restores and bundle imports hold it shared for their whole scan-and-commit, so a
  collection never sees a half-written snapshot.
* A snapshot that was committed but not linked to its checkpoint yet (the engine
  links it right after) is young, hence a root: the grace period (1 h by default)
  covers the gap between ``snapshot()`` and ``link_checkpoint()``.
* Blobs are deleted only when unreachable *and* not written or freshened within the
  grace period (the blob store freshens an existing blob whenever new content
  resolves to it), which also protects writers that use the blob store directly.
* Rows are deleted in one transaction, so ``snapshot row exists`` always implies
  ``all its trees exist``; an incremental snapshot checks that its base row still
  exists before it reuses the base's subtrees.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from wtb.errors import DamagedStoreError
from wtb.filetrack.cas import BlobStore
from wtb.filetrack.db import Database
from wtb.filetrack.statindex import drop_missing_roots, index_hashes
from wtb.filetrack.trees import TreeStore, reachable
from wtb.models import StorageStats


@dataclass
class GcReport:
    """What one collection removed."""

    blobs_removed: int = 0
    bytes_freed: int = 0
    trees_removed: int = 0
    snapshots_removed: int = 0


def collect(db: Database, trees: TreeStore, blobs: BlobStore, grace_s: float) -> GcReport:
    """Delete everything unreachable; the caller holds the exclusive GC lock."""
    report = GcReport()
    cutoff = time.time() - grace_s
    with db.write() as cur:
        roots = {
            row[0]
            for row in cur.execute(
                "SELECT snapshot FROM checkpoints UNION SELECT snapshot FROM stops UNION SELECT snapshot FROM pins"
                " UNION SELECT root FROM snapshots WHERE touched_at >= ?",
                (cutoff,),
            )
        }
        dead = [row[0] for row in cur.execute("SELECT root FROM snapshots") if row[0] not in roots]
        cur.executemany("DELETE FROM snapshots WHERE root = ?", [(d,) for d in dead])
        report.snapshots_removed = len(dead)
        live_trees, live_blobs = reachable(lambda digest: trees.get(digest, cur), roots)
        stored = [row[0] for row in cur.execute("SELECT hash FROM trees")]
        unused = [(t,) for t in stored if t not in live_trees]
        cur.executemany("DELETE FROM trees WHERE hash = ?", unused)
        report.trees_removed = len(unused)
        drop_missing_roots(cur)
        live_blobs |= index_hashes(cur)
    trees.clear_cache()
    for digest, st in blobs.iter_stat():
        if digest not in live_blobs and st.st_mtime < cutoff:
            freed = blobs.delete(digest)
            report.blobs_removed += 1
            report.bytes_freed += freed
    blobs.remove_stale_temps(cutoff)
    return report


def storage_stats(db: Database, blobs: BlobStore) -> StorageStats:
    """What the store holds (blob files on disk) against what checkpoints reference."""
    count = stored = 0
    for _, st in blobs.iter_stat():
        count += 1
        stored += st.st_size
    with db.read() as cur:
        referenced = cur.execute(
            "SELECT COALESCE(SUM(bytes), 0) FROM snapshots WHERE root IN (SELECT DISTINCT snapshot FROM checkpoints)"
        ).fetchone()[0]
        snapshots = cur.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
    ratio = referenced / stored if stored else 1.0
    return StorageStats(count, stored, int(referenced), int(snapshots), ratio)


def open_store(folder: Path, db: Database) -> BlobStore:
    """The blob store; a missing one while ``filetrack.db`` lists stored files is damage, named now
    (recreating it empty would make every checkpoint's files unreadable later, one by one)."""
    if not os.path.lexists(folder) and db.one("SELECT 1 FROM snapshots WHERE bytes > 0 LIMIT 1", ()) is not None:
        raise DamagedStoreError(
            f"{folder} is missing, but {db.path.name} lists stored files: the contents of the "
            "checkpoints' files are gone. Put the folder back from a backup, or move the data directory aside "
            "(e.g. `mv .wtb .wtb.damaged`) to start afresh."
        )
    try:
        return BlobStore(folder)
    except OSError as exc:
        raise DamagedStoreError(
            f"{folder} cannot be used as WTB's blob store ({exc.strerror or exc}): remove what is in its place "
            "or fix its permissions, or use another data directory (--data-dir)."
        ) from exc
