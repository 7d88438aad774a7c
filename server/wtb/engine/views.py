"""LangGraph's own view of a run's checkpoints, recorded while the graph is loaded.

What a checkpoint *means* — its state, the nodes due next, the questions its tasks asked,
what each task wrote — is computed by LangGraph from the graph: output channels,
reducers, edges, joins, ``Send`` packets. Read back later from channel names it comes
out wrong (a join's next node, ``Send`` workers, the Functional API's value, interrupts).
So a run streams LangGraph's ``"checkpoints"`` events (the format of ``get_state``) and
``"tasks"`` events (each task's result, error and interrupts), with ``subgraphs=True``
for the steps inside subgraphs, and records them here; browsing reads the records and
never imports workflow code. A checkpoint made by ``update_state`` (a state edit) is
recorded from ``get_state`` right after.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.serde.base import SerializerProtocol

from wtb.models import Checkpoint, InterruptRecord
from wtb.store.views import ViewRow, ViewStore

#: The "node" of a checkpoint made by ``update_state``.
STATE_EDIT = "(state edit)"
#: Views are written in batches, at most this far apart while a run goes on (and at its end).
FLUSH_INTERVAL_S = 0.25


@dataclass
class TaskView:
    """One task LangGraph scheduled at a checkpoint, and what came of it."""

    id: str
    name: str
    result: Any = None
    error: str | None = None
    interrupts: list[dict[str, Any]] = field(default_factory=list)  # {"id", "value"}
    cached: bool = False  # its writes came from LangGraph's cache (``CachePolicy``): the node did not run
    #: Scheduled while the step ran, not listed at the checkpoint: a Functional API ``@task``
    #: call, a node's error handler. Its writes count; LangGraph's view of the checkpoint
    #: (its tasks, their questions) does not include it.
    pushed: bool = False
    #: The errors of its attempts that failed (``RetryPolicy``), in order; when the task
    #: failed in the end, the last is its ``error``.
    failed_attempts: list[str] = field(default_factory=list)

    def retried(self) -> list[str]:
        """The errors of the attempts that were tried again."""
        return self.failed_attempts[:-1] if self.error is not None else list(self.failed_attempts)


@dataclass
class CheckpointView:
    """What LangGraph says of one checkpoint."""

    checkpoint_id: str
    namespace: str
    parent_id: str | None
    step: int
    source: str
    created_at: str
    next: list[str]
    values: Any
    tasks: list[TaskView] = field(default_factory=list)
    edits: dict[str, Any] | None = None  # the values a state edit set (source "update")
    replayed: list[str] = field(default_factory=list)  # nodes answered from a recording (replay.py)
    #: ``values`` are the checkpoint's own channel values (the common case), so the stored view
    #: leaves them out and a reader takes them from the checkpoint, which stores them by
    #: content: a view then costs O(its step), not O(the state).
    values_in_checkpoint: bool = False

    def listed(self) -> list[TaskView]:
        """The tasks LangGraph lists at this checkpoint (not those pushed while its step ran)."""
        return [task for task in self.tasks if not task.pushed]

    def interrupts(self) -> list[InterruptRecord]:
        return [
            InterruptRecord(id=str(i["id"]), value=i["value"], node=task.name, namespace=self.namespace)
            for task in self.listed()
            for i in task.interrupts
        ]

    def pending_interrupts(self) -> list[InterruptRecord]:
        """The questions of tasks that have not run to an end yet (no result, no error)."""
        return [
            InterruptRecord(id=str(i["id"]), value=i["value"], node=task.name, namespace=self.namespace)
            for task in self.listed()
            if task.result is None and task.error is None
            for i in task.interrupts
        ]

    def writes(self) -> dict[str, Any]:
        """``{node: result}`` of its tasks that ran (a node run by several tasks: a list)."""
        writes: dict[str, Any] = {}
        for task in self.tasks:
            if task.result is None:
                continue
            if task.name not in writes:
                writes[task.name] = task.result
            elif isinstance(writes[task.name], _Several):
                writes[task.name].append(task.result)
            else:
                writes[task.name] = _Several([writes[task.name], task.result])
        return {name: list(r) if isinstance(r, _Several) else r for name, r in writes.items()}

    def errors(self) -> dict[str, str]:
        """``{node: error}`` of its tasks that ended in an error (one an error handler took over included)."""
        return {task.name: task.error for task in self.tasks if task.error is not None}

    def retries(self) -> dict[str, list[str]]:
        """``{node: [error, …]}``: the failed attempts its tasks were retried after."""
        return {task.name: task.retried() for task in self.tasks if task.retried()}


def pending_together(views: Sequence[CheckpointView]) -> list[InterruptRecord]:
    """The questions pending at several checkpoints where one run stopped (each subgraph
    running in one step stopped at its own, see :mod:`wtb.engine.stop_heads`), each once:
    a subgraph's question is listed by the subgraph's own step and again, with the same
    id, by the step of the graph around it; the innermost record (its node, its
    namespace) is kept."""
    found: dict[str, InterruptRecord] = {}
    for view in sorted(views, key=lambda v: v.namespace.count("|") + bool(v.namespace), reverse=True):
        for record in view.pending_interrupts():
            found.setdefault(record.id, record)
    return list(found.values())


class _Several(list[Any]):
    """The results of several tasks of one node (``Send``), told apart from a list result."""


def _error_text(error: Any) -> str | None:
    if error is None:
        return None
    return f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)


def _interrupt(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {"id": str(value.get("id", "")), "value": value.get("value")}
    return {"id": str(getattr(value, "id", "")), "value": getattr(value, "value", None)}


def _configurable(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    found: Mapping[str, Any] = (config or {}).get("configurable", {})
    return found


def from_payload(payload: Mapping[str, Any]) -> CheckpointView:
    """A view from a ``"checkpoints"`` stream event."""
    config = _configurable(payload.get("config"))
    metadata = payload.get("metadata") or {}
    return CheckpointView(
        checkpoint_id=str(config["checkpoint_id"]),
        namespace=str(config.get("checkpoint_ns", "")),
        parent_id=_configurable(payload.get("parent_config")).get("checkpoint_id"),
        step=int(metadata.get("step", -1)),
        source=str(metadata.get("source", "")),
        created_at="",
        next=list(payload.get("next") or []),
        values=payload.get("values"),
        tasks=[
            TaskView(
                id=str(t["id"]),
                name=str(t["name"]),
                result=t.get("result"),
                error=_error_text(t.get("error")),
                interrupts=[_interrupt(i) for i in t.get("interrupts") or ()],
            )
            for t in payload.get("tasks") or []
        ],
    )


def from_snapshot(snapshot: Any, edits: dict[str, Any] | None = None) -> CheckpointView:
    """A view from LangGraph's ``StateSnapshot`` (``get_state``)."""
    config = _configurable(snapshot.config)
    metadata = snapshot.metadata or {}
    return CheckpointView(
        checkpoint_id=str(config["checkpoint_id"]),
        namespace=str(config.get("checkpoint_ns", "")),
        parent_id=_configurable(snapshot.parent_config).get("checkpoint_id"),
        step=int(metadata.get("step", -1)),
        source=str(metadata.get("source", "")),
        created_at=str(snapshot.created_at or ""),
        next=list(snapshot.next),
        values=snapshot.values,
        tasks=[
            TaskView(
                id=str(t.id),
                name=str(t.name),
                result=t.result,
                error=_error_text(t.error),
                interrupts=[_interrupt(i) for i in t.interrupts],
            )
            for t in snapshot.tasks
        ],
        edits=edits,
    )


def encode(view: CheckpointView, execution_id: str, serde: SerializerProtocol) -> ViewRow:
    body = {
        "values": None if view.values_in_checkpoint else view.values,
        "values_in_checkpoint": view.values_in_checkpoint,
        "tasks": [
            {"id": t.id, "name": t.name, "result": t.result, "error": t.error, "interrupts": t.interrupts,
             "cached": t.cached, "pushed": t.pushed, "failed_attempts": t.failed_attempts}
            for t in view.tasks
        ],
        "edits": view.edits,
        "replayed": view.replayed,
    }
    return ViewRow(
        checkpoint_id=view.checkpoint_id,
        execution_id=execution_id,
        namespace=view.namespace,
        parent_id=view.parent_id,
        step=view.step,
        source=view.source,
        created_at=view.created_at,
        next=view.next,
        body=_dumps(serde, body),
    )


def _dumps(serde: SerializerProtocol, body: dict[str, Any]) -> tuple[str, bytes]:
    """Serialise a view; a value the checkpointer cannot store (a node returned one, and
    failed for it) is kept as its ``repr``, so that the rest of the view is not lost."""
    try:
        return serde.dumps_typed(body)
    except Exception:
        tasks = [{**t, "result": _storable(serde, t["result"])} for t in body["tasks"]]
        storable = {**body, "values": _storable(serde, body["values"]), "tasks": tasks,
                    "edits": _storable(serde, body["edits"])}
        return serde.dumps_typed(storable)


def _storable(serde: SerializerProtocol, value: Any) -> Any:
    try:
        serde.dumps_typed(value)
        return value
    except Exception:
        if isinstance(value, dict):
            return {k: _storable(serde, v) for k, v in value.items()}
        return repr(value)


def decode(row: ViewRow, serde: SerializerProtocol) -> CheckpointView:
    body = serde.loads_typed(row.body)
    return CheckpointView(
        checkpoint_id=row.checkpoint_id,
        namespace=row.namespace,
        parent_id=row.parent_id,
        step=row.step,
        source=row.source,
        created_at=row.created_at,
        next=row.next,
        values=body.get("values"),
        tasks=[
            TaskView(
                id=t["id"], name=t["name"], result=t.get("result"), error=t.get("error"),
                interrupts=list(t.get("interrupts") or []), cached=bool(t.get("cached")),
                pushed=bool(t.get("pushed")), failed_attempts=list(t.get("failed_attempts") or []),
            )
            for t in body.get("tasks") or []
        ],
        edits=body.get("edits"),
        replayed=list(body.get("replayed") or []),
        values_in_checkpoint=bool(body.get("values_in_checkpoint")),
    )


class ViewRecorder:
    """Collects one run's views from its stream and stores them in batches.

    A task's result arrives after the checkpoint that scheduled it: it is added to that
    checkpoint's view (kept in memory until the run ends). A checkpoint seen again (the
    one a resumed run starts from) keeps the interrupts it had: LangGraph goes on listing
    an answered question there.
    """

    def __init__(
        self,
        execution_id: str,
        store: ViewStore,
        serde: SerializerProtocol,
        on_view: Callable[[CheckpointView], None] | None = None,
        stored: Mapping[str, Any] | None = None,
    ) -> None:
        self.execution_id = execution_id
        self._store = store
        self._serde = serde
        self._on_view = on_view
        self._views: dict[str, CheckpointView] = {}
        self._owner: dict[str, str] = {}  # task id -> the checkpoint id that scheduled it
        #: checkpoint id -> the values it stores (its channels but LangGraph's own), as the saver
        #: was given them: a view whose values are these leaves them to the checkpoint
        self._stored: Mapping[str, Any] = stored if stored is not None else {}
        self._dirty: set[str] = set()
        self._flushed_at = time.monotonic()
        self.root: CheckpointView | None = None  # the root graph's latest checkpoint

    def add(self, view: CheckpointView) -> None:
        """A checkpoint LangGraph made (or showed again), from its stream or ``get_state``."""
        known = self._views.get(view.checkpoint_id)
        if known is None and not self._views:  # a resumed run's first: recorded by an earlier run
            row = self._store.get(view.checkpoint_id, self.execution_id)
            known = decode(row, self._serde) if row is not None else None
        if known is not None:
            _keep_answers(known, view)
        if not view.created_at:
            view.created_at = known.created_at if known is not None else _now()
        self._views[view.checkpoint_id] = view
        for task in view.tasks:
            self._owner[task.id] = view.checkpoint_id
        if view.namespace == "" and (self.root is None or view.checkpoint_id >= self.root.checkpoint_id):
            self.root = view
        self._dirty.add(view.checkpoint_id)
        if self._on_view is not None:
            self._on_view(view)
        if time.monotonic() - self._flushed_at >= FLUSH_INTERVAL_S:
            self.flush(final=False)

    def task_result(
        self, payload: Mapping[str, Any], namespace: str = "", failed_attempts: Sequence[str] = ()
    ) -> None:
        """A ``"tasks"`` event with a task's outcome: its writes, error or interrupts.

        A task the checkpoint did not list was pushed while its step ran (an ``@task`` call,
        an error handler): it belongs to the latest checkpoint of its graph (``namespace``).
        """
        task_id = str(payload.get("id"))
        owner = self._owner.get(task_id)
        view = self._views.get(owner) if owner is not None else self._latest(namespace)
        if view is None:
            return
        task = next((t for t in view.tasks if t.id == task_id), None)
        if task is None:
            task = TaskView(id=task_id, name=str(payload.get("name")), pushed=True)
            view.tasks.append(task)
            self._owner[task_id] = view.checkpoint_id
        interrupts = [_interrupt(i) for i in payload.get("interrupts") or ()]
        if interrupts:  # asking now: a result from an earlier run of it (before a rollback) is gone
            task.result = None
        elif "result" in payload:  # an interrupted task's result is empty
            task.result = payload["result"]
        task.error = _error_text(payload.get("error")) or task.error
        task.interrupts = interrupts or task.interrupts
        task.failed_attempts = list(failed_attempts) or task.failed_attempts
        self._dirty.add(view.checkpoint_id)

    def view(self, checkpoint_id: str) -> CheckpointView | None:
        """The view of a checkpoint this run made or showed again."""
        return self._views.get(checkpoint_id)

    def waiting_at(self, last: str | None) -> str | None:
        """Where a run that stored no root step stands: the latest checkpoint it stored
        (``last``), unless that one has nothing left to run (a subgraph that finished while
        something else of the same step waits: another subgraph, a node of the graph
        around it that asked). Then the latest subgraph step that waits, else the root
        step the run went on from. Which task stores its last checkpoint last is a matter
        of thread timing."""
        view = self._views.get(last) if last is not None else None
        if view is not None and view.next:
            return last
        waiting = [
            found for found in map(self._views.get, self.stop_heads().values())
            if found is not None and found.namespace and found.next
        ]
        if waiting:
            return max(waiting, key=lambda v: v.checkpoint_id).checkpoint_id
        return self.root.checkpoint_id if self.root is not None and self.root.next else last

    def stop_heads(self) -> dict[str, str]:
        """Namespace -> the latest checkpoint this run made or showed again there, for the
        root graph's latest step and every subgraph run in it (their checkpoints come after
        it): where each stood as the run stopped (:mod:`wtb.engine.stop_heads`)."""
        if self.root is None:
            return {}
        heads = {"": self.root.checkpoint_id}
        for view in self._views.values():
            if view.namespace and view.checkpoint_id > self.root.checkpoint_id:
                heads[view.namespace] = max(heads.get(view.namespace, ""), view.checkpoint_id)
        return heads

    def _latest(self, namespace: str) -> CheckpointView | None:
        if namespace == "":
            return self.root
        mine = [v for v in self._views.values() if v.namespace == namespace]
        return max(mine, key=lambda v: v.checkpoint_id) if mine else None

    def unfinished(self) -> list[CheckpointView]:
        """Views with a task the stream told nothing of (the ``__start__`` task of an input
        checkpoint has no task events), other than each graph's latest, whose tasks may
        simply not have run: :meth:`add` them again from ``get_state``."""
        latest: dict[str, str] = {}
        for view in self._views.values():
            latest[view.namespace] = max(latest.get(view.namespace, ""), view.checkpoint_id)
        return [
            view
            for view in self._views.values()
            if view.checkpoint_id != latest[view.namespace]
            and any(t.result is None and t.error is None and not t.interrupts for t in view.listed())
        ]

    def parallel(self) -> list[CheckpointView]:
        """Views whose next step runs several nodes: the stream lists them by name, LangGraph's
        ``get_state``/history in the graph's order; :meth:`reorder_next` them from the latter."""
        return [view for view in self._views.values() if len(set(view.next)) > 1]

    def reorder_next(self, checkpoint_id: str, next_nodes: list[str]) -> None:
        """Take LangGraph's order of a view's next nodes (the same nodes: nothing else changes)."""
        view = self._views[checkpoint_id]
        if sorted(next_nodes) == sorted(view.next) and next_nodes != view.next:
            view.next = list(next_nodes)
            self._dirty.add(checkpoint_id)

    def flush(self, *, final: bool = True) -> None:
        """Store the views changed since the last flush.

        A view whose checkpoint LangGraph has not stored yet (the stream shows a checkpoint
        while the saver still writes it) waits for a later flush unless ``final``: stored
        now, it would carry its own copy of the values, which the checkpoint then holds as
        well. A run of growing state kept every view's copy that way once its flushes came
        as often as its steps (a 400-message chat: 58 MB of views instead of 0.5 MB).
        """
        ready: list[str] = []
        for checkpoint_id in self._dirty:
            view = self._views[checkpoint_id]
            stored = self._stored.get(checkpoint_id)
            if not view.values_in_checkpoint and stored is not None and _same(view.values, stored):
                view.values_in_checkpoint = True
            if final or stored is not None or view.values_in_checkpoint:
                ready.append(checkpoint_id)
        rows = [encode(self._views[c], self.execution_id, self._serde) for c in sorted(ready)]
        self._dirty.difference_update(ready)
        self._flushed_at = time.monotonic()
        self._store.put_many(rows)


def as_read_back(serde: SerializerProtocol, values: Any) -> Any:
    """``values`` as any later read gives them (``get_state``, LangGraph's own): through the
    serializer they are stored with, where a tuple comes back as a list. A run's live
    values are what the stream carried, before that round trip; one the serializer cannot
    store (the run failed for it) is returned as it is."""
    try:
        return serde.loads_typed(serde.dumps_typed(values))
    except Exception:
        return values


def _same(values: Any, stored: Any) -> bool:
    try:
        return bool(values == stored)
    except Exception:  # a value whose == raises (an array): keep the view's own copy
        return False


def _keep_answers(known: CheckpointView, seen_again: CheckpointView) -> None:
    """Carry what a checkpoint's tasks did over to the same checkpoint seen again."""
    before = {t.id: t for t in known.tasks}
    for task in seen_again.tasks:
        old = before.get(task.id)
        if old is None:
            continue
        task.interrupts = task.interrupts or old.interrupts
        task.error = task.error or old.error
        task.result = task.result if task.result is not None else old.result
        task.cached = task.cached or old.cached
        task.failed_attempts = task.failed_attempts or old.failed_attempts
    listed = {t.id for t in seen_again.tasks}
    seen_again.tasks.extend(t for t in known.tasks if t.pushed and t.id not in listed)
    seen_again.edits = seen_again.edits or known.edits
    seen_again.replayed = seen_again.replayed or known.replayed


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat()


def to_checkpoint(view: CheckpointView, execution_id: str, parent: CheckpointView | None) -> Checkpoint:
    """The :class:`Checkpoint` record of a view; its writes are what its parent's tasks wrote
    (a state edit's: the values it set)."""
    if view.source == "update" and view.edits is not None:
        writes: dict[str, Any] = {STATE_EDIT: dict(view.edits)}
    else:
        writes = parent.writes() if parent is not None else {}
    return Checkpoint(
        id=view.checkpoint_id,
        execution_id=execution_id,
        step=view.step,
        source=view.source,
        writes=writes,
        next=list(view.next),
        parent_id=view.parent_id,
        created_at=view.created_at,
        namespace=view.namespace,
        interrupts=view.interrupts(),
        replayed=list(view.replayed),
        cached=sorted({t.name for t in parent.tasks if t.cached}) if parent is not None else [],
        errors=parent.errors() if parent is not None else {},
        retries=parent.retries() if parent is not None else {},
    )
