"""The Ray actor pool: hand variants to idle actors, collect what comes back, survive lost actors.

Ray's own ``ActorPool`` has no answer for an actor that dies mid-task, for a node that
disappears, or for stopping one task, all of which a batch needs. This pool keeps the
bookkeeping explicit, and every wait on Ray is bounded, so a batch always ends:

- A variant whose worker **process** died (``os._exit``, a segfault, the OOM killer) comes
  back failed with ``WorkerDied``: it was the variant's doing, and running it again would
  do it again.
- A variant whose **node** was lost (Ray says "its node has died", or the node is no
  longer alive) comes back with ``node_lost`` set; the driver runs it again, a bounded
  number of times. When Ray only says the actor is *unavailable* (the connection to its
  node broke, before the head has declared the node dead) the pool waits for the verdict,
  pinging the actor and watching the node, for at most ``UNREACHABLE_S``.
- Lost actors are replaced by as many actors as the alive nodes hold: after a node is lost
  the pool shrinks instead of waiting for resources that are gone; when no alive node can
  hold a single actor, :meth:`starved` says why and the driver fails what is left.
- An actor that does not start within ``start_timeout_s`` fails its variant with
  ``WorkerNotStarted``.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import shutil
import time
import traceback
from dataclasses import dataclass
from typing import Any

from wtb.batch import warm
from wtb.batch.pool import Outcome
from wtb.batch.task import VariantTask
from wtb.batch.worker import scratch_root
from wtb.models import ExecutionError

WORKER_DIED = "WorkerDied"
NODE_LOST = "NodeLost"
NOT_STARTED = "WorkerNotStarted"
GET_TIMEOUT_S = 300.0  # fetching a finished variant's bundle (from another node)
START_TIMEOUT_S = 900.0  # an actor starting (a runtime_env with pip packages may install for minutes)
UNREACHABLE_S = 60.0  # an actor whose node stopped answering, before the head declares the node dead


@dataclass
class _Slot:
    actor: Any
    task: VariantTask
    started: float
    label: str
    sent_bytes: int = 0
    unreachable_since: float | None = None
    ping: Any = None
    why: str = ""


class RayActorPool:
    """Up to ``size`` actors of one resource shape; at most one variant per actor at a time.

    The batch's starting files are put in the object store once; every variant's task
    names them by reference, so each node fetches them once.
    """

    def __init__(
        self,
        size: int,
        options: dict[str, Any],
        label: str,
        base_files: bytes | None,
        keep_warm_s: float = 0.0,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        import ray

        from wtb.batch.actor import VariantActor

        self.size = size
        self._ray = ray
        self._label = label
        self._keep_warm_s = keep_warm_s
        self._start_timeout_s = start_timeout_s
        self._counter = itertools.count(1)
        self._class = ray.remote(VariantActor)
        self._options = {**options, "max_restarts": 0, "max_task_retries": 0}
        self._key = warm.shape_key(self._options)
        self.base_bytes = len(base_files) if base_files else 0
        self._base = ray.put(base_files) if base_files else None
        self._starting: dict[str, tuple[Any, float]] = {}  # label → (first call, since when)
        self._where: dict[str, dict[str, Any]] = {}  # label → the actor's info(): node_id, pid…
        self._starved: str | None = None
        self._busy: dict[Any, _Slot] = {}  # the variant's call → its slot
        self._unreachable: dict[str, _Slot] = {}  # label → a slot waiting for the verdict on its node
        self._idle: list[tuple[Any, str]] = warm.take(self._key, size, self._kill)
        self.reused = len(self._idle)
        for actor, taken in self._idle:
            self._starting[taken] = (actor.info.remote(), time.time())
        self._idle += [self._new() for _ in range(size - self.reused)]

    def ready(self, timeout_s: float | None = None) -> None:
        """Wait until every idle actor has started (imported WTB and LangGraph)."""
        wait = self._start_timeout_s if timeout_s is None else timeout_s
        self._ray.get([actor.info.remote() for actor, _ in self._idle], timeout=wait)

    def _new(self) -> tuple[Any, str]:
        label = f"{self._label}-{next(self._counter)}"
        actor: Any = self._class.options(**self._options).remote(label)
        self._starting[label] = (actor.info.remote(), time.time())
        return actor, label

    def _slots(self) -> list[_Slot]:
        return [*self._busy.values(), *self._unreachable.values()]

    def idle(self) -> int:
        return len(self._idle)

    def starved(self) -> str | None:
        """Why no actor is left and none can start (the nodes that could hold one were lost), or None."""
        return self._starved if not self._idle and not self._slots() else None

    def submit(self, task: VariantTask) -> None:
        from wtb.batch.code import detach, dumps

        actor, label = self._idle.pop()
        data = dumps(detach(task))
        ref = actor.run.remote(data, self._base)
        self._busy[ref] = _Slot(actor, task, time.time(), label, len(data))

    def running(self) -> list[tuple[VariantTask, float]]:
        """Busy variants and when they began; one whose actor is still starting begins now."""
        now = time.time()
        for slot in self._slots():
            if slot.label in self._starting:
                slot.started = now
        return [(slot.task, slot.started) for slot in self._slots()]

    def wait(self, timeout_s: float) -> list[Outcome]:
        outcomes = self._learn() + self._judge_unreachable()
        if not self._busy:
            time.sleep(timeout_s)  # nothing to wait for: do not let the driver's loop spin
            return outcomes
        ready, _ = self._ray.wait(list(self._busy), num_returns=1, timeout=timeout_s)
        if ready:
            more, _ = self._ray.wait(list(self._busy), num_returns=len(self._busy), timeout=0)
            ready = list(dict.fromkeys([*ready, *more]))
        for ref in ready:
            outcome = self._collect(ref)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    # -- what came back ----------------------------------------------------------------------
    def _collect(self, ref: Any) -> Outcome | None:
        from ray.exceptions import ActorUnavailableError, RayActorError, RayError, RayTaskError

        slot = self._busy.pop(ref)
        outcome = self._outcome(slot)
        try:
            outcome.bundle = self._ray.get(ref, timeout=GET_TIMEOUT_S)
        except ActorUnavailableError as exc:  # its node stopped answering: lost, or a blip? Wait and see.
            slot.unreachable_since, slot.why = time.time(), _first_line(exc)
            self._unreachable[slot.label] = slot
            return None
        except RayActorError as exc:
            return self._dead(slot, exc)
        except RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, BaseException) else exc
            outcome.error = ExecutionError(
                node=None,
                type=type(cause).__name__,
                message=str(cause).splitlines()[0] if str(cause) else type(cause).__name__,
                traceback="".join(traceback.format_exception(cause))[-4000:],
            )
        except RayError as exc:  # the bundle was lost with its node, or could not be fetched in time
            outcome.node_lost = self._node_gone(slot.label)
            outcome.error = ExecutionError(None, NODE_LOST if outcome.node_lost else type(exc).__name__,
                                           f"Variant {slot.task.variant.name!r}: {_first_line(exc)}")
            self._lose(slot, outcome.node_lost)
            return outcome
        self._idle.append((slot.actor, slot.label))
        return outcome

    def _outcome(self, slot: _Slot) -> Outcome:
        return Outcome(slot.task, slot.started, worker=dict(self._where.get(slot.label, {})),
                       sent_bytes=slot.sent_bytes)

    def _node_lost(self, slot: _Slot, what: str) -> Outcome:
        """The outcome of an unreachable variant given up on: lost with its node, to run again."""
        outcome = self._outcome(slot)
        outcome.node_lost = True
        outcome.error = ExecutionError(None, NODE_LOST, f"Variant {slot.task.variant.name!r}: {what} ({slot.why})")
        return outcome

    def _dead(self, slot: _Slot, exc: BaseException) -> Outcome:
        """The outcome of a variant whose actor died: with its node (lost) or by itself (failed)."""
        text = str(exc)
        lost = "its node has died" in text or bool(getattr(exc, "preempted", False)) or self._node_gone(slot.label)
        what = "its node was lost" if lost else "the worker process died"
        outcome = self._outcome(slot)
        outcome.node_lost = lost
        outcome.error = ExecutionError(None, NODE_LOST if lost else WORKER_DIED,
                                       f"Variant {slot.task.variant.name!r} stopped: {what}: {_death(exc)}")
        self._lose(slot, lost)
        return outcome

    def _judge_unreachable(self) -> list[Outcome]:
        """Decide on actors Ray called unavailable: dead node, dead actor, back again, or too long."""
        if not self._unreachable:
            return []
        from ray.exceptions import ActorUnavailableError, RayActorError

        alive = self._alive_ids()
        outcomes = []
        for label, slot in list(self._unreachable.items()):
            node = self._where.get(label, {}).get("node_id")
            since = slot.unreachable_since or time.time()
            verdict: Outcome | None = None
            if node is not None and node not in alive:
                del self._unreachable[label]
                verdict = self._node_lost(slot, f"its node was lost: node {node} stopped answering")
                self._lose(slot, True)
            elif slot.ping is not None and self._ray.wait([slot.ping], timeout=0)[0]:
                try:
                    self._ray.get(slot.ping, timeout=GET_TIMEOUT_S)
                except ActorUnavailableError:
                    slot.ping = None  # ask again next time
                except RayActorError as exc:
                    del self._unreachable[label]
                    verdict = self._dead(slot, exc)
                else:  # reachable again, but the variant's call was lost on the way: run it again
                    del self._unreachable[label]
                    verdict = self._node_lost(slot, "the connection to its worker broke")
                    self._idle.append((slot.actor, label))
            elif time.time() - since > UNREACHABLE_S:
                del self._unreachable[label]
                verdict = self._node_lost(slot, f"its worker was unreachable for {UNREACHABLE_S:g}s")
                self._lose(slot, False)
            if verdict is not None:
                outcomes.append(verdict)
            elif label in self._unreachable and slot.ping is None:
                slot.ping = slot.actor.info.remote()
        return outcomes

    def _learn(self) -> list[Outcome]:
        """Note where started actors run; give up on actors that did not start in time."""
        if not self._starting:
            return []
        refs = [ref for ref, _ in self._starting.values()]
        done, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
        finished = set(done)
        outcomes = []
        now = time.time()
        for label, (ref, since) in list(self._starting.items()):
            if ref in finished:
                del self._starting[label]
                with contextlib.suppress(Exception):  # a dead actor: its variant's own call says why
                    self._where[label] = dict(self._ray.get(ref, timeout=GET_TIMEOUT_S))
            elif now - since > self._start_timeout_s:
                del self._starting[label]
                outcomes += self._give_up(label)
        return outcomes

    def _give_up(self, label: str) -> list[Outcome]:
        for actor, other in list(self._idle):
            if other == label:
                self._idle.remove((actor, other))
                self._kill(actor, label)
        outcomes = []
        for ref, slot in list(self._busy.items()):
            if slot.label == label:
                del self._busy[ref]
                self._kill(slot.actor, label)
                outcome = self._outcome(slot)
                outcome.error = ExecutionError(
                    None, NOT_STARTED,
                    f"No worker for variant {slot.task.variant.name!r} started within {self._start_timeout_s:g}s: "
                    f"the cluster has no free {self._describe()}, or the runtime_env failed to install "
                    "(see the Ray logs of the nodes).",
                )
                outcomes.append(outcome)
        self._refill()
        return outcomes

    # -- actors --------------------------------------------------------------------------------
    def _node_gone(self, label: str) -> bool:
        node = self._where.get(label, {}).get("node_id")
        return node is not None and node not in self._alive_ids()

    def _alive_ids(self) -> set[str]:
        from wtb.batch.cluster import alive_nodes

        return {str(node.get("NodeID")) for node in alive_nodes()}

    def _lose(self, slot: _Slot, node_lost: bool) -> None:
        self._kill(slot.actor, slot.label)
        if node_lost:  # idle actors on the lost node would fail their next variant: drop them now
            alive = self._alive_ids()
            for actor, label in list(self._idle):
                node = self._where.get(label, {}).get("node_id")
                if node is not None and node not in alive:
                    self._idle.remove((actor, label))
                    self._kill(actor, label)
        self._refill()

    def _refill(self) -> None:
        """Start actors up to the pool size, or up to what the alive nodes hold if that is less."""
        from wtb.batch.cluster import alive_nodes, fitting_actors

        fit = fitting_actors(self._options, alive_nodes())
        while len(self._idle) + len(self._slots()) < min(self.size, fit):
            self._idle.append(self._new())
        if fit == 0:
            self._starved = (f"No alive node of the Ray cluster can run a worker for this batch "
                             f"({self._describe()} each): the nodes that could were lost.")

    def _describe(self) -> str:
        units = {"num_cpus": "CPU", "num_gpus": "GPU", "memory": "bytes of memory"}
        return ", ".join(f"{self._options[key]:g} {unit}" for key, unit in units.items() if self._options.get(key))

    def stop(self, execution_id: str, reason: ExecutionError, replace: bool = True) -> Outcome | None:
        """Kill the actor running ``execution_id`` (its variant is lost); start a fresh one if ``replace``."""
        found = [(ref, slot) for ref, slot in self._busy.items() if slot.task.execution_id == execution_id]
        found += [(None, slot) for slot in self._unreachable.values() if slot.task.execution_id == execution_id]
        if not found:
            return None
        ref, slot = found[0]
        if ref is None:
            del self._unreachable[slot.label]
        else:
            del self._busy[ref]
        self._kill(slot.actor, slot.label)
        if replace:
            self._refill()
        outcome = self._outcome(slot)
        outcome.error = reason
        return outcome

    def _kill(self, actor: Any, label: str) -> None:
        with contextlib.suppress(Exception):  # already dead
            self._ray.kill(actor, no_restart=True)
        self._starting.pop(label, None)
        # A killed actor cannot clean up; on this machine its scratch dir is ours to remove.
        for leftover in glob.glob(str(scratch_root() / f"wtb-batch-{label}-*")):
            shutil.rmtree(leftover, ignore_errors=True)

    def close(self) -> None:
        """Park the healthy idle actors for the next batch (``keep_warm_s``) or stop them; stop busy ones."""
        idle = list(self._idle)
        self._idle.clear()
        for slot in self._slots():
            self._kill(slot.actor, slot.label)
        self._busy.clear()
        self._unreachable.clear()
        if self._keep_warm_s > 0:
            warm.park(self._key, idle, self._kill, self._keep_warm_s)
            return
        for actor, label in idle:
            self._kill(actor, label)


def _death(exc: BaseException) -> str:
    """Ray's account of an actor's death, without its id lines: the last lines say why."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("class_name:", "actor_id:", "namespace:", "pid:"))]
    return " ".join(useful[-2:]) if useful else type(exc).__name__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
