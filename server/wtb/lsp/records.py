"""SDK records → protocol records.

The SDK hands out dataclasses (``wtb.models``); the worker sends the same records as
JSON (``to_jsonable``). Both go through the functions here, so a record looks the same
on the wire whether it came from the daemon's bench or from a run's worker.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wtb.lsp import protocol as p
from wtb.lsp.uris import path_to_uri, relative
from wtb.models import DoctorReport, to_jsonable

_STATUSES = ("pending", "running", "paused", "completed", "failed", "cancelled")


def _plain(record: Any) -> Mapping[str, Any]:
    """A record's fields by name: the JSON object itself, or the dataclass's attributes.

    Reading attributes directly (instead of ``to_jsonable`` of the whole record) keeps a
    page of checkpoints cheap; only free-form values (state, writes) go through
    ``to_jsonable``.
    """
    if isinstance(record, Mapping):
        return record
    if hasattr(record, "__dataclass_fields__"):
        return _Attributes(record)
    raise TypeError(f"expected a record, got {type(record).__name__}")


class _Attributes(Mapping[str, Any]):
    __slots__ = ("_record",)

    def __init__(self, record: Any) -> None:
        self._record = record

    def __getitem__(self, key: str) -> Any:
        try:
            value = getattr(self._record, key)
        except AttributeError:
            raise KeyError(key) from None
        return value.value if isinstance(value, enum.Enum) else value

    def __iter__(self) -> Any:
        return iter(self._record.__dataclass_fields__)

    def __len__(self) -> int:
        return len(self._record.__dataclass_fields__)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _json_dict(value: Any) -> dict[str, Any]:
    converted = to_jsonable(value) if value else {}
    return converted if isinstance(converted, dict) else {}


def execution_error(value: Any) -> p.ExecutionErrorInfo | None:
    if value is None:
        return None
    data = _plain(value)
    return p.ExecutionErrorInfo(
        node=_opt_str(data.get("node")),
        type=str(data.get("type") or "Error"),
        message=str(data.get("message") or ""),
        traceback=str(data.get("traceback") or ""),
    )


def interrupts(value: Any) -> list[p.InterruptInfo]:
    """``InterruptRecord``s (or their JSON) → the protocol's; the question goes through ``to_jsonable``."""
    out = []
    for item in value or []:
        data = _plain(item)
        out.append(
            p.InterruptInfo(
                id=str(data.get("id") or ""),
                value=to_jsonable(data.get("value")),
                node=_opt_str(data.get("node")),
                namespace=str(data.get("namespace") or ""),
            )
        )
    return out


def execution(record: Any) -> p.ExecutionInfo:
    data = _plain(record)
    status = str(data.get("status"))
    if status not in _STATUSES:
        raise ValueError(f"unknown execution status {status!r}")
    return p.ExecutionInfo(
        id=str(data["id"]),
        workflow=str(data.get("project") or data.get("workflow") or ""),
        status=status,  # type: ignore[arg-type]
        thread_id=str(data.get("thread_id") or ""),
        created_at=float(data.get("created_at") or 0.0),
        finished_at=None if data.get("finished_at") is None else float(data["finished_at"]),
        name=_opt_str(data.get("name")),
        parent_id=_opt_str(data.get("parent_id")),
        parent_checkpoint_id=_opt_str(data.get("parent_checkpoint_id")),
        batch_id=_opt_str(data.get("batch_id")),
        head_checkpoint_id=_opt_str(data.get("head_checkpoint_id")),
        next_nodes=[str(n) for n in data.get("next_nodes") or []],
        config=_json_dict(data.get("config")),
        error=execution_error(data.get("error")),
        interrupts=interrupts(data.get("interrupts")),
        rollback_undoable=bool(data.get("rollback_undoable")),
    )


def checkpoint(record: Any) -> p.CheckpointInfo:
    data = _plain(record)
    return p.CheckpointInfo(
        id=str(data["id"]),
        execution_id=str(data.get("execution_id") or ""),
        step=int(data.get("step") or 0),
        source=str(data.get("source") or ""),
        writes=_json_dict(data.get("writes")),
        next=[str(n) for n in data.get("next") or []],
        parent_id=_opt_str(data.get("parent_id")),
        created_at=str(data.get("created_at") or ""),
        snapshot_id=_opt_str(data.get("snapshot_id")),
        output_files={str(k): _opt_str(v) for k, v in _dict(data.get("output_files")).items()},
        namespace=str(data.get("namespace") or ""),
        interrupts=interrupts(data.get("interrupts")),
        cached=[str(n) for n in data.get("cached") or []],
        replayed=[str(n) for n in data.get("replayed") or []],
        errors={str(k): str(v) for k, v in _dict(data.get("errors")).items()},
        retries={str(k): [str(e) for e in v or []] for k, v in _dict(data.get("retries")).items()},
    )


def file_entry(record: Any) -> p.FileEntryInfo:
    data = _plain(record)
    kind = str(data.get("kind") or "file")
    if kind not in ("file", "symlink", "skipped"):
        kind = "file"
    return p.FileEntryInfo(
        path=str(data["path"]),
        kind=kind,  # type: ignore[arg-type]
        hash=_opt_str(data.get("hash")),
        size=int(data.get("size") or 0),
        mode=int(data.get("mode") or 0),
        target=_opt_str(data.get("target")),
    )


def tree_node(record: Any) -> p.ExecutionTreeNode:
    execution_record = getattr(record, "execution", None)
    children = getattr(record, "children", None)
    if execution_record is None and isinstance(record, Mapping):
        execution_record = record.get("execution")
        children = record.get("children")
    return p.ExecutionTreeNode(
        execution=execution(execution_record),
        children=[tree_node(child) for child in children or []],
    )


def rollback_result(record: Any) -> p.RollbackResult:
    data = _plain(record)
    return p.RollbackResult(
        execution_id=str(data["execution_id"]),
        checkpoint_id=str(data["checkpoint_id"]),
        previous_checkpoint_id=_opt_str(data.get("previous_checkpoint_id")),
        files_written=[str(x) for x in data.get("files_written") or []],
        files_removed=[str(x) for x in data.get("files_removed") or []],
        undo_snapshot_id=_opt_str(data.get("undo_snapshot_id")),
        skipped=[
            p.SkippedFileInfo(path=str(item["path"]), reason=str(item["reason"]))
            for item in (_plain(x) for x in data.get("skipped") or [])
        ],
    )


def diff_result(record: Any) -> p.DiffResult:
    data = _plain(record)
    state = _plain(data["state"]) if data.get("state") is not None else {}
    files = _plain(data["files"]) if data.get("files") is not None else {}
    return p.DiffResult(
        state=p.StateDiffInfo(
            added=_json_dict(state.get("added")),
            removed=_json_dict(state.get("removed")),
            changed={str(k): list(v) for k, v in _json_dict(state.get("changed")).items()},
        ),
        files=p.FileDiffInfo(
            added={str(k): _opt_str(v) for k, v in _dict(files.get("added")).items()},
            removed={str(k): _opt_str(v) for k, v in _dict(files.get("removed")).items()},
            modified={str(k): [_opt_str(x) for x in v] for k, v in _dict(files.get("modified")).items()},
        ),
    )


def storage_stats(record: Any) -> p.StorageStatsResult:
    data = _plain(record)
    return p.StorageStatsResult(
        blobs=int(data.get("blobs") or 0),
        bytes_stored=int(data.get("bytes_stored") or 0),
        bytes_referenced=int(data.get("bytes_referenced") or 0),
        snapshots=int(data.get("snapshots") or 0),
        dedup_ratio=float(data.get("dedup_ratio") or 0.0),
        per_project={
            str(k): {str(kk): int(vv) for kk, vv in _dict(v).items()} for k, v in _dict(data.get("per_project")).items()
        },
        state={str(k): float(v) for k, v in _dict(data.get("state")).items()},
    )


def doctor(report: DoctorReport) -> p.DoctorResult:
    w = report.watcher
    return p.DoctorResult(
        python=report.python,
        libraries=dict(report.libraries),
        watcher=p.WatcherInfo(
            mode=w.mode, reason=w.reason, round_trip_ms=w.round_trip_ms, barrier_timeouts=w.barrier_timeouts
        ),
        workspace=report.workspace,
        data_dir=report.data_dir,
        data_dir_bytes=report.data_dir_bytes,
        ray_importable=report.ray_importable,
        problems=list(report.problems),
    )


def graph_node(node: Any, workspace: Path) -> p.GraphNode:
    file = getattr(node, "file", None)
    line = getattr(node, "line", None)
    path = Path(file) if file else None
    return p.GraphNode(
        id=str(getattr(node, "id", node)),
        uri=path_to_uri(path) if path else None,
        path=relative(path, workspace) if path else None,
        # GraphNode.line is 1-based (a Python line number); the protocol is 0-based.
        line=int(line) - 1 if isinstance(line, int) and line > 0 else None,
    )


def graph_edge(edge: Any) -> p.GraphEdge:
    return p.GraphEdge(
        source=str(edge.source),
        target=str(edge.target),
        conditional=bool(getattr(edge, "conditional", False)),
    )
