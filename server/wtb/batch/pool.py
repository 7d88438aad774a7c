"""The actor pool: hand variants to idle actors, collect what comes back, survive dead actors.

Ray's own ``ActorPool`` has no answer for an actor that dies mid-task or for stopping
one task, both of which a batch needs (a node that calls ``os._exit``, a cancel, a
timeout). This pool keeps the bookkeeping explicit: a dead or killed actor is replaced
by a fresh one, and its variant comes back as an :class:`Outcome` with the reason.

:class:`LocalPool` has the same interface and runs variants one after another in this
process, without Ray: for machines without Ray and for fast tests of everything around
the pool. It cannot survive a variant that kills its process.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from wtb.batch import warm
from wtb.batch.worker import VariantTask, run_variant, scratch_root
from wtb.models import ExecutionError

WORKER_DIED = "WorkerDied"


@dataclass
class Outcome:
    """A variant's return: its packed bundle, or why there is none."""

    task: VariantTask
    started: float
    bundle: bytes | None = None
    error: ExecutionError | None = None


@dataclass
class _Slot:
    actor: Any
    task: VariantTask
    started: float
    label: str
    starting: Any = None  # the new actor's first call, until it answers: its variant has not begun


class Pool(Protocol):
    size: int
    reused: int

    def idle(self) -> int: ...
    def submit(self, task: VariantTask) -> None: ...
    def wait(self, timeout_s: float) -> list[Outcome]: ...
    def running(self) -> list[tuple[VariantTask, float]]: ...
    def stop(self, execution_id: str, reason: ExecutionError, replace: bool = True) -> Outcome | None: ...
    def close(self) -> None: ...


class RayActorPool:
    """``size`` actors of one resource shape; at most one variant per actor at a time."""

    def __init__(
        self, size: int, options: dict[str, Any], label: str, base_files: bytes | None, keep_warm_s: float = 0.0
    ) -> None:
        import ray

        from wtb.batch.actor import VariantActor

        self.size = size
        self._ray = ray
        self._label = label
        self._keep_warm_s = keep_warm_s
        self._counter = itertools.count(1)
        self._class = ray.remote(VariantActor)
        self._options = {**options, "max_restarts": 0, "max_task_retries": 0}
        self._key = warm.shape_key(self._options)
        self._base = ray.put(base_files) if base_files else None
        self._starting: dict[str, Any] = {}
        self._idle: list[tuple[Any, str]] = warm.take(self._key, size, self._kill)
        self.reused = len(self._idle)
        self._idle += [self._new() for _ in range(size - self.reused)]
        self._busy: dict[Any, _Slot] = {}

    def ready(self, timeout_s: float | None = None) -> None:
        """Wait until every idle actor has started (imported WTB and LangGraph)."""
        self._ray.get([actor.info.remote() for actor, _ in self._idle], timeout=timeout_s)

    def _new(self) -> tuple[Any, str]:
        label = f"{self._label}-{next(self._counter)}"
        actor: Any = self._class.options(**self._options).remote(label)
        self._starting[label] = actor.info.remote()
        return actor, label

    def idle(self) -> int:
        return len(self._idle)

    def submit(self, task: VariantTask) -> None:
        actor, label = self._idle.pop()
        ref = actor.run.remote(task, self._base)
        self._busy[ref] = _Slot(actor, task, time.time(), label, self._starting.pop(label, None))

    def running(self) -> list[tuple[VariantTask, float]]:
        """Busy variants and when they began; one whose actor is still starting begins now."""
        now = time.time()
        for slot in self._busy.values():
            if slot.starting is not None:
                done, _ = self._ray.wait([slot.starting], timeout=0)
                if done:
                    slot.starting = None
                slot.started = now
        return [(slot.task, slot.started) for slot in self._busy.values()]

    def wait(self, timeout_s: float) -> list[Outcome]:
        if not self._busy:
            return []
        ready, _ = self._ray.wait(list(self._busy), num_returns=1, timeout=timeout_s)
        if ready:
            more, _ = self._ray.wait(list(self._busy), num_returns=len(self._busy), timeout=0)
            ready = list(dict.fromkeys([*ready, *more]))
        return [self._collect(ref) for ref in ready]

    def _collect(self, ref: Any) -> Outcome:
        from ray.exceptions import RayActorError, RayError, RayTaskError

        slot = self._busy.pop(ref)
        outcome = Outcome(slot.task, slot.started)
        try:
            outcome.bundle = self._ray.get(ref)
        except RayActorError as exc:
            outcome.error = ExecutionError(
                node=None,
                type=WORKER_DIED,
                message=f"The worker process running variant {slot.task.variant.name!r} died: "
                f"{_first_line(exc)}",
            )
            self._replace(slot)
            return outcome
        except RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, BaseException) else exc
            outcome.error = ExecutionError(
                node=None,
                type=type(cause).__name__,
                message=str(cause).splitlines()[0] if str(cause) else type(cause).__name__,
                traceback="".join(traceback.format_exception(cause))[-4000:],
            )
        except RayError as exc:
            outcome.error = ExecutionError(node=None, type=type(exc).__name__, message=_first_line(exc))
            self._replace(slot)
            return outcome
        self._idle.append((slot.actor, slot.label))
        return outcome

    def stop(self, execution_id: str, reason: ExecutionError, replace: bool = True) -> Outcome | None:
        """Kill the actor running ``execution_id`` (its variant is lost); start a fresh one if ``replace``."""
        for ref, slot in list(self._busy.items()):
            if slot.task.execution_id == execution_id:
                del self._busy[ref]
                if replace:
                    self._replace(slot)
                else:
                    self._kill(slot.actor, slot.label)
                return Outcome(slot.task, slot.started, error=reason)
        return None

    def _replace(self, slot: _Slot) -> None:
        self._kill(slot.actor, slot.label)
        self._idle.append(self._new())

    def _kill(self, actor: Any, label: str) -> None:
        with contextlib.suppress(Exception):  # already dead
            self._ray.kill(actor, no_restart=True)
        # A killed actor cannot clean up; on this machine its scratch dir is ours to remove.
        for leftover in glob.glob(str(scratch_root() / f"wtb-batch-{label}-*")):
            shutil.rmtree(leftover, ignore_errors=True)

    def close(self) -> None:
        """Park the healthy idle actors for the next batch (``keep_warm_s``) or stop them; stop busy ones."""
        idle = list(self._idle)
        self._idle.clear()
        for slot in self._busy.values():
            self._kill(slot.actor, slot.label)
        self._busy.clear()
        if self._keep_warm_s > 0:
            warm.park(self._key, idle, self._kill, self._keep_warm_s)
            return
        for actor, label in idle:
            self._kill(actor, label)


class LocalPool:
    """Runs variants one at a time in this process (``backend="local"``): no Ray, no isolation of crashes."""

    size = 1
    reused = 0

    def __init__(self, base_files: bytes | None, scratch: Path | None = None,
                 runner: Callable[[VariantTask, bytes | None, Path], bytes] = run_variant) -> None:
        self._base = base_files
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

    def stop(self, execution_id: str, reason: ExecutionError, replace: bool = True) -> Outcome | None:
        for item in self._queued:
            if item[0].execution_id == execution_id:
                self._queued.remove(item)
                return Outcome(item[0], item[1], error=reason)
        return None

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
