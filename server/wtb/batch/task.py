"""What the driver sends a worker for one variant: picklable records, no open handles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wtb.batch.bundle import Rows
from wtb.batch.checkpoints import CheckpointEntry
from wtb.batch.variants import Variant
from wtb.config import FileTrackingConfig, WorkflowProject


@dataclass(frozen=True)
class SourcePoint:
    """The checkpoint a batch starts from, which the worker stores into its own data dir.

    ``checkpoint`` is as the driver's checkpointer stored it (not decoded), without its
    pending writes: a fork starts from a copy of the checkpoint and runs its next nodes again.
    """

    execution_id: str
    thread_id: str
    checkpoint_id: str
    snapshot: str | None
    execution: Rows
    checkpoint: CheckpointEntry


@dataclass(frozen=True)
class VariantTask:
    """Everything a worker needs for one variant; picklable, no open handles."""

    batch_id: str
    execution_id: str
    variant: Variant
    project: WorkflowProject
    base_snapshot: str | None = None
    source: SourcePoint | None = None
    shared_workspace: str | None = None
    file_tracking: FileTrackingConfig = field(default_factory=lambda: FileTrackingConfig(watch=False))
    export_files: bool = True
    config: dict[str, Any] = field(default_factory=dict)
    payload: bytes | None = None  # variant, config and graph object, cloudpickled (see wtb.batch.code)
