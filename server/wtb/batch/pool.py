"""Pools: what the batch driver hands variants to, and what comes back (:class:`Outcome`).

:class:`~wtb.batch.raypool.RayActorPool` runs them on Ray actors. :class:`LocalPool` has
the same interface and runs variants one after another in this process, without Ray:
for machines without Ray and for fast tests of everything around the pool. It cannot
survive a variant that kills its process.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wtb.batch.task import VariantTask
from wtb.batch.worker import run_variant, scratch_root
from wtb.models import ExecutionError


@dataclass
class Outcome:
    """A variant's return: its packed bundle, or why there is none.

    ``node_lost``: the variant was lost with its node, or with the connection to it,
    through no fault of its own (the driver may run it again elsewhere). ``worker``: what
    is known of where it ran (``node_id``…). ``sent_bytes``: the size of the task shipped.
    """

    task: VariantTask
    started: float
    bundle: bytes | None = None
    error: ExecutionError | None = None
    node_lost: bool = False
    worker: dict[str, Any] = field(default_factory=dict)
    sent_bytes: int = 0


class Pool(Protocol):
    size: int
    reused: int
    base_bytes: int

    def idle(self) -> int: ...
    def submit(self, task: VariantTask) -> None: ...
    def wait(self, timeout_s: float) -> list[Outcome]: ...
    def running(self) -> list[tuple[VariantTask, float]]: ...
    def stop(self, execution_id: str, reason: ExecutionError, replace: bool = True) -> Outcome | None: ...
    def starved(self) -> str | None: ...
    def close(self) -> None: ...


class LocalPool:
    """Runs variants one at a time in this process (``backend="local"``): no Ray, no isolation of crashes."""

    size = 1
    reused = 0

    def __init__(self, base_files: bytes | None, scratch: Path | None = None,
                 runner: Callable[[VariantTask, bytes | None, Path], bytes] = run_variant) -> None:
        self._base = base_files
        self.base_bytes = len(base_files) if base_files else 0
        self._scratch = scratch or Path(tempfile.mkdtemp(prefix="wtb-batch-local-", dir=scratch_root()))
        self._runner = runner
        self._queued: list[tuple[VariantTask, float]] = []

    def idle(self) -> int:
        return 0 if self._queued else 1

    def submit(self, task: VariantTask) -> None:
        self._queued.append((task, time.time()))

    def running(self) -> list[tuple[VariantTask, float]]:
        return list(self._queued)

    def wait(self, timeout_s: float) -> list[Outcome]:
        if not self._queued:
            return []
        task, started = self._queued.pop(0)
        outcome = Outcome(task, started)
        try:
            outcome.bundle = self._runner(task, self._base, self._scratch)
        except Exception as exc:
            outcome.error = ExecutionError(
                node=None, type=type(exc).__name__, message=str(exc).splitlines()[0] if str(exc) else "",
                traceback="".join(traceback.format_exception(exc))[-4000:],
            )
        return [outcome]

    def starved(self) -> str | None:
        return None

    def stop(self, execution_id: str, reason: ExecutionError, replace: bool = True) -> Outcome | None:
        for item in self._queued:
            if item[0].execution_id == execution_id:
                self._queued.remove(item)
                return Outcome(item[0], item[1], error=reason)
        return None

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)

