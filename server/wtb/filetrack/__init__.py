"""File tracking: content-addressed snapshots of a workspace's files.

A snapshot is the root hash of a Merkle tree of the tracked files; contents live
once in a blob store (``<data_dir>/.filetrack/blobs``), trees and links in
``filetrack.db``. A watchdog watcher keeps snapshots proportional to what changed;
a stat index keeps walks from re-reading unchanged files. See ``docs/filetrack.md``.
"""

from __future__ import annotations

from wtb.filetrack.cas import BlobStore
from wtb.filetrack.gc import GcReport
from wtb.filetrack.restore import RestorePlan
from wtb.filetrack.service import SqliteFileTrackingService

__all__ = ["BlobStore", "GcReport", "RestorePlan", "SqliteFileTrackingService"]
