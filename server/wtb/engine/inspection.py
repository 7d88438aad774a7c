"""Reading executions and checkpoints: state, files, differences, storage.

Nothing here imports workflow code: what a checkpoint says is read from LangGraph's
checkpointer and WTB's file store.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from wtb.engine.services import Services
from wtb.engine.tree import ExecutionTreeNode, build_tree
from wtb.engine.views import CheckpointView, decode, to_checkpoint
from wtb.models import Checkpoint, DiffResult, Execution, FileDiff, FileEntry, StateDiff, StorageStats


def get_execution(services: Services, execution_id: str) -> Execution:
    """The execution with its head's state, the nodes due next and the questions pending."""
    execution = services.executions.get(execution_id)
    execution.head_checkpoint_id = services.adapter.head_of(execution)
    if execution.head_checkpoint_id:
        head = services.adapter.get_tuple(execution.thread_id, execution.head_checkpoint_id)
        view = services.adapter.view(head, execution.id)
        execution.state = view.values
        execution.next_nodes = list(view.next) or services.adapter.due_next(head, execution.id)
        execution.interrupts = services.adapter.pending_interrupts(head, execution.id)
    mark_undoable_rollbacks(services, [execution])
    return execution


def mark_undoable_rollbacks(services: Services, executions: list[Execution]) -> list[Execution]:
    """Set ``rollback_undoable`` where the latest rollback still to undo went to the head: the
    execution has not run since (a run after a rollback moves on from it, as in an editor's
    undo history). One query for them all."""
    targets = services.outbox.done_targets("rollback", [e.id for e in executions])
    for execution in executions:
        target = targets.get(execution.id)
        execution.rollback_undoable = target is not None and target == execution.head_checkpoint_id
    return executions


def get_checkpoints(
    services: Services,
    execution_id: str,
    limit: int | None = None,
    before: str | None = None,
    subgraphs: bool = False,
) -> list[Checkpoint]:
    """An execution's checkpoints, newest first, each with its file snapshot and output files.

    The saver says which checkpoints exist; what each means is LangGraph's view, recorded
    during the run. ``subgraphs``: the steps inside subgraphs too (``Checkpoint.namespace``).
    A checkpoint no run recorded (one made outside WTB) is read from the checkpoint itself.
    """
    execution = services.executions.get(execution_id)
    if before:
        services.adapter.get_tuple(execution.thread_id, before)
    checkpoints: list[Checkpoint] = []
    for found, views in _pages(services, execution, before, limit, subgraphs):
        checkpoint_id = str(found.checkpoint["id"])
        if execution.parent_id and checkpoint_id not in views and services.adapter.recorded(checkpoint_id):
            continue  # one of the parent's, copied with its id under a fork's head (fork.py)
        view = _recorded(services, views, checkpoint_id)
        if view is not None:
            parent = _recorded(services, views, view.parent_id) if view.parent_id else None
            checkpoints.append(to_checkpoint(view, execution.id, parent))
        else:
            checkpoints.append(services.adapter.to_checkpoint(execution.id, found))
        if limit is not None and len(checkpoints) >= limit:
            break
    tracker = services.tracker
    if tracker is not None:
        links = tracker.checkpoint_links(execution.id)  # one query, not two per checkpoint
        for checkpoint in checkpoints:
            if checkpoint.id in links:
                checkpoint.snapshot_id, checkpoint.output_files = links[checkpoint.id]
            else:  # a link kept under another execution (one copied from it)
                checkpoint.snapshot_id = tracker.checkpoint_snapshot(checkpoint.id)
                checkpoint.output_files = tracker.checkpoint_output_files(checkpoint.id)
    return checkpoints


def _pages(
    services: Services, execution: Execution, before: str | None, limit: int | None, subgraphs: bool
) -> Iterator[tuple[Any, dict[str, CheckpointView]]]:
    """The thread's checkpoints before ``before``, newest first, a page at a time, each with the
    execution's views of its page and of their parents: a page of a run of 10,000 steps reads
    about ``limit`` checkpoints and views, not all of them."""
    batch = limit  # more pages only where a fork skips its parent's checkpoints
    while True:
        page = services.adapter.history(execution.thread_id, subgraphs=subgraphs, before=before, limit=batch)
        ids = [str(found.checkpoint["id"]) for found in page]
        parents = [str(found.parent_config["configurable"]["checkpoint_id"]) for found in page if found.parent_config]
        rows = services.views.of_checkpoints(execution.id, ids + parents)
        views = {row.checkpoint_id: decode(row, services.saver.serde) for row in rows}
        for found in page:
            yield found, views
        if batch is None or len(page) < batch:
            return
        before = ids[-1]


def _recorded(services: Services, views: dict[str, CheckpointView], checkpoint_id: str) -> CheckpointView | None:
    """The execution's own view of a checkpoint, else another's: a fork that continues inside
    a subgraph shares the checkpoints before it with the execution it came from."""
    return views.get(checkpoint_id) or services.adapter.recorded(checkpoint_id)


def get_state(services: Services, execution_id: str, checkpoint_id: str | None = None) -> Any:
    """LangGraph's values at a checkpoint (the head by default). A dict of values gets the
    step's ``_output_files``; a Functional API entrypoint's value is returned as it is."""
    thread_id, head = services.executions.thread_and_head(execution_id)
    found = services.adapter.get_tuple(thread_id, checkpoint_id or head, writes=False)
    found_id = str(found.checkpoint["id"])
    state = services.adapter.view(found, execution_id).values
    if not isinstance(state, dict):
        return state
    state = dict(state)
    tracker = services.tracker
    state["_output_files"] = tracker.checkpoint_output_files(found_id) if tracker else {}
    return state


def get_files(services: Services, execution_id: str, checkpoint_id: str | None = None) -> dict[str, FileEntry]:
    return services.tracker_or_fail().files(services.snapshot_of(execution_id, checkpoint_id))


def read_file(services: Services, execution_id: str, checkpoint_id: str | None, path: str) -> bytes:
    return services.tracker_or_fail().read_file(services.snapshot_of(execution_id, checkpoint_id), path)


def diff(services: Services, exec_a: str, cp_a: str | None, exec_b: str, cp_b: str | None) -> DiffResult:
    state = diff_states(_as_dict(get_state(services, exec_a, cp_a)), _as_dict(get_state(services, exec_b, cp_b)))
    files = diff_files(
        services.tracker, services.maybe_snapshot_of(exec_a, cp_a), services.maybe_snapshot_of(exec_b, cp_b)
    )
    return DiffResult(state=state, files=files)


def plan_rollback(services: Services, execution_id: str, checkpoint_id: str) -> Any:
    """What a rollback to ``checkpoint_id`` would write and delete (nothing is changed)."""
    execution = services.executions.get(execution_id)
    services.adapter.get_tuple(execution.thread_id, checkpoint_id)
    return services.tracker_or_fail().plan_restore(services.snapshot_of(execution_id, checkpoint_id))


def execution_tree(services: Services, project: str | None = None) -> list[ExecutionTreeNode]:
    return build_tree(services.executions.list(project=project, limit=1_000_000))


def storage_stats(services: Services) -> StorageStats:
    """What the blob store holds, plus executions and checkpoint bytes per project."""
    stats: StorageStats = services.tracker_or_fail().stats()
    stats.per_project = per_project_storage(services.executions, services.saver)
    stats.state = {key: float(value) for key, value in dataclasses.asdict(services.saver.state_storage()).items()}
    return stats


def _as_dict(state: Any) -> dict[str, Any]:
    """A Functional API value, diffed as one key."""
    return state if isinstance(state, dict) else {"(value)": state}


def diff_states(old: dict[str, Any], new: dict[str, Any]) -> StateDiff:
    """Added, removed and changed keys (``_output_files`` is per-step metadata, left out)."""
    old = {k: v for k, v in old.items() if k != "_output_files"}
    new = {k: v for k, v in new.items() if k != "_output_files"}
    return StateDiff(
        added={k: new[k] for k in new.keys() - old.keys()},
        removed={k: old[k] for k in old.keys() - new.keys()},
        changed={k: [old[k], new[k]] for k in old.keys() & new.keys() if old[k] != new[k]},
    )


def diff_files(tracker: Any | None, old: str | None, new: str | None) -> FileDiff:
    """Paths added, removed and modified between two snapshots (empty without tracking)."""
    result = FileDiff()
    if tracker is None or old is None or new is None or old == new:
        return result
    before = tracker.files(old)
    for path, digest in sorted(tracker.changes(old, new).items()):
        if digest is None:
            result.removed[path] = before[path].hash if path in before else None
        elif path in before:
            result.modified[path] = [before[path].hash, digest]
        else:
            result.added[path] = digest
    return result


def per_project_storage(executions: Any, saver: Any) -> dict[str, dict[str, int]]:
    """Executions, checkpoints and checkpoint bytes per project, read through the saver's
    public ``list`` (bytes: each checkpoint as its serializer writes it, plus its metadata)."""
    result: dict[str, dict[str, int]] = {}
    for execution in executions.list(limit=10**9):
        entry = result.setdefault(execution.project, {"executions": 0, "checkpoints": 0, "checkpoint_bytes": 0})
        entry["executions"] += 1
        for found in saver.list({"configurable": {"thread_id": execution.thread_id}}):
            entry["checkpoints"] += 1
            entry["checkpoint_bytes"] += len(saver.serde.dumps_typed(found.checkpoint)[1])
            entry["checkpoint_bytes"] += len(json.dumps(found.metadata or {}, default=str))
    return result
