"""Checkpoint links: which snapshot holds a checkpoint's files, and which files its step changed.

One row per checkpoint in ``filetrack.db``'s ``checkpoints`` table, written with the
snapshot's own transaction during a run (one commit per checkpoint) or alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import NamedTuple

import msgpack


class Link(NamedTuple):
    """The checkpoint a snapshot is taken for, and the snapshot of the checkpoint before it."""

    checkpoint_id: str
    execution_id: str
    previous: str | None


INSERT_LINK = (
    "INSERT OR REPLACE INTO checkpoints (checkpoint_id, execution_id, snapshot, output_files, created_at)"
    " VALUES (?, ?, ?, ?, ?)"
)


def link_row(link: Link, snapshot_id: str, output_files: Mapping[str, str | None]) -> tuple[object, ...]:
    packed = msgpack.packb({os.fsencode(p): h for p, h in output_files.items()}, use_bin_type=True)
    return (link.checkpoint_id, link.execution_id, snapshot_id, packed, time.time())


def unpack_outputs(packed: object) -> dict[str, str | None]:
    assert isinstance(packed, bytes)
    raw = msgpack.unpackb(packed, raw=False, strict_map_key=False)
    return {os.fsdecode(k): v for k, v in raw.items()}
