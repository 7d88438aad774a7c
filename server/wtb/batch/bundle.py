"""Bundles: a variant's records and files, carried from a worker's private data dir to the driver's.

Workers never open the driver's SQLite files: on a cluster without a shared file system
they cannot, and locally several writers on one file would serialise the batch. A
worker runs in its own temporary data dir and sends back one msgpack document: the
execution row, the LangGraph checkpoints of its thread with their pending writes (read
and serialised through the checkpointer's public API, see :mod:`wtb.batch.checkpoints`),
the file tracker's bundle (trees, snapshot links, new blobs) and the measurements of
the run. Merging the same bundle twice changes nothing: the execution row is keyed by
its pre-chosen id, the checkpoints by their uuid6 ids.

WTB's own execution rows travel as ``{"columns": [...], "rows": [[...]]}`` and are
inserted by column name, so a worker and a driver whose ``wtb.db`` differ by a column
still agree on the columns both have.

Format 2: checkpoints as :class:`~wtb.batch.checkpoints.CheckpointEntry` (format 1 carried
the rows of ``langgraph-checkpoint-sqlite``'s own tables).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgpack

if TYPE_CHECKING:
    from wtb.batch.checkpoints import CheckpointEntry

FORMAT = 2

Rows = dict[str, list[Any]]


@dataclass
class VariantBundle:
    """What a worker sends back for one variant."""

    execution_id: str
    execution: Rows
    checkpoints: list[CheckpointEntry]
    files: bytes | None = None
    duration_s: float | None = None
    node_timings: dict[str, float] = field(default_factory=dict)
    produced: dict[str, str | None] = field(default_factory=dict)
    checkpoint_count: int = 0
    worker: dict[str, Any] = field(default_factory=dict)
    views: list[list[Any]] = field(default_factory=list)  # LangGraph's view of each checkpoint (store/views.py)

    def pack(self) -> bytes:
        data = {"format": FORMAT, **self.__dict__}
        packed: bytes = msgpack.packb(data, use_bin_type=True)
        return packed

    @classmethod
    def unpack(cls, data: bytes) -> VariantBundle:
        raw = msgpack.unpackb(data, raw=False, strict_map_key=False)
        if not isinstance(raw, dict) or raw.pop("format", None) != FORMAT:
            raise ValueError("Not a WTB variant bundle (or one of another format version).")
        return cls(**raw)
