"""The parts of a :class:`~wtb.sdk.bench.WTBTestBench` the batch runner reaches into.

Batches need a few things the public SDK does not offer: an execution created with a
pre-chosen id (the driver and the worker must agree on it), the raw connections to merge
rows into, and the file tracker to export and import bundles. They are gathered here, in
one module, so that when the SDK grows public hooks for them only this file changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wtb.engine.locks import Locks
    from wtb.engine.state_adapter import StateAdapter
    from wtb.sdk.bench import WTBTestBench
    from wtb.store.db import Database
    from wtb.store.executions import ExecutionStore


def database(bench: WTBTestBench) -> Database:
    return bench.services.db


def executions(bench: WTBTestBench) -> ExecutionStore:
    return bench.services.executions


def adapter(bench: WTBTestBench) -> StateAdapter:
    return bench.services.adapter


def tracker(bench: WTBTestBench) -> Any | None:
    """The bench's file tracker, or ``None`` when file tracking is off."""
    return bench.services.tracker


def checkpoint_db(bench: WTBTestBench) -> Path:
    return bench.services.checkpoint_path


def locks(bench: WTBTestBench) -> Locks:
    return bench.services.locks


def serialize_state(bench: WTBTestBench, values: dict[str, Any], what: str) -> tuple[str, bytes]:
    """Serialise a state as checkpoints are; raises ``NonSerializableStateError`` naming the key."""
    return bench.services.adapter.check_serializable(values, what)
