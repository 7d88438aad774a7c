"""Reading checkpoints for people: the nodes due next, and differences between checkpoints."""

from __future__ import annotations

from typing import Any

from wtb.models import FileDiff, StateDiff


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
    """Executions, checkpoints and checkpoint bytes per project (one query per table)."""
    threads = {f"wtb-{e.id}": e.project for e in executions.list(limit=10**9)}
    result: dict[str, dict[str, int]] = {}
    for project in set(threads.values()):
        result[project] = {"executions": 0, "checkpoints": 0, "checkpoint_bytes": 0}
    for project in threads.values():
        result[project]["executions"] += 1
    with saver.cursor(transaction=False) as cur:
        rows = cur.execute(
            "SELECT thread_id, COUNT(*), SUM(LENGTH(checkpoint) + LENGTH(metadata)) FROM checkpoints GROUP BY thread_id"
        ).fetchall()
    for thread_id, count, size in rows:
        if thread_id in threads:
            entry = result[threads[thread_id]]
            entry["checkpoints"] += int(count)
            entry["checkpoint_bytes"] += int(size or 0)
    return result
