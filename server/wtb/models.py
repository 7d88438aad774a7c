"""The records WTB hands out: executions, checkpoints, files, results.

They are plain dataclasses so the SDK, the CLI (``--json``) and the daemon (camelCase on
the wire) can all turn them into JSON with :func:`to_jsonable` and nothing else.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any


class ExecutionStatus(str, enum.Enum):
    """The life cycle of an execution."""

    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED)


@dataclass(frozen=True)
class ExecutionError:
    """Why an execution failed: the node, the exception and its traceback."""

    node: str | None
    type: str
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class InterruptRecord:
    """A question a node asked with LangGraph's ``interrupt()``, waiting for (or given) an answer.

    ``id`` is LangGraph's interrupt id (the key when several are answered at once),
    ``namespace`` the subgraph it was asked in ("" for the root graph).
    """

    id: str
    value: Any
    node: str
    namespace: str = ""


@dataclass
class Execution:
    """One run of a workflow (or a fork of one), with its LangGraph thread."""

    id: str
    project: str
    status: ExecutionStatus
    thread_id: str
    created_at: float
    #: LangGraph's values at the head: a dict for a ``StateGraph``, an entrypoint's value as it is.
    state: Any = field(default_factory=dict)
    error: ExecutionError | None = None
    parent_id: str | None = None
    parent_checkpoint_id: str | None = None
    batch_id: str | None = None
    head_checkpoint_id: str | None = None
    finished_at: float | None = None
    name: str | None = None
    initial_state: dict[str, Any] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    next_nodes: list[str] = field(default_factory=list)
    #: The questions the head checkpoint waits on (``resume(resume_value=...)`` answers them).
    interrupts: list[InterruptRecord] = field(default_factory=list)
    #: A rollback of this execution can be undone, and nothing has run since it
    #: (``undo_rollback``; the editor offers "Undo Rollback" by this).
    rollback_undoable: bool = False


@dataclass
class Checkpoint:
    """A LangGraph checkpoint of an execution plus WTB's file snapshot link."""

    id: str
    execution_id: str
    step: int
    source: str
    writes: dict[str, Any]
    next: list[str]
    parent_id: str | None
    created_at: str
    snapshot_id: str | None = None
    output_files: dict[str, str | None] = field(default_factory=dict)
    replayed: list[str] = field(default_factory=list)
    #: LangGraph's ``checkpoint_ns``: "" for the root graph, ``node:<task id>`` (joined by
    #: ``|``) for a step inside a subgraph.
    namespace: str = ""
    #: The questions its next tasks asked with ``interrupt()``.
    interrupts: list[InterruptRecord] = field(default_factory=list)
    #: The nodes of the step that made it whose writes came from LangGraph's cache (``CachePolicy``).
    cached: list[str] = field(default_factory=list)
    #: ``{node: error}`` for the nodes of that step that raised (an error handler took over,
    #: or the run failed there).
    errors: dict[str, str] = field(default_factory=dict)
    #: ``{node: [error, …]}``: the failed attempts of that step's nodes that a ``RetryPolicy`` retried.
    retries: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class FileEntry:
    """One tracked path of a snapshot.

    ``kind`` is ``"file"``, ``"symlink"`` (``target`` holds the link text) or
    ``"skipped"`` (over the size limit: listed, not stored, ``hash`` is ``None``).
    """

    path: str
    kind: str
    hash: str | None
    size: int
    mode: int
    target: str | None = None


@dataclass(frozen=True)
class SkippedFile:
    """A path a restore left alone although the snapshot says otherwise, and why
    (a file over ``max_file_size`` was never stored, so it cannot be brought back or removed)."""

    path: str
    reason: str


@dataclass
class RollbackResult:
    """What a rollback changed, and the snapshot that ``undo_rollback`` returns to.

    ``skipped``: paths that differ from the checkpoint but were left as they are (files
    over the size limit, listed in snapshots but never stored), each with its reason.
    """

    execution_id: str
    checkpoint_id: str
    previous_checkpoint_id: str | None
    files_written: list[str]
    files_removed: list[str]
    undo_snapshot_id: str | None
    skipped: list[SkippedFile] = field(default_factory=list)


@dataclass
class StateDiff:
    """Keys added, removed and changed between two states (``changed``: key → [old, new])."""

    added: dict[str, Any] = field(default_factory=dict)
    removed: dict[str, Any] = field(default_factory=dict)
    changed: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class FileDiff:
    """Paths added, removed and modified between two snapshots (path → hash / [old, new])."""

    added: dict[str, str | None] = field(default_factory=dict)
    removed: dict[str, str | None] = field(default_factory=dict)
    modified: dict[str, list[str | None]] = field(default_factory=dict)


@dataclass
class DiffResult:
    """The difference between two checkpoints, possibly of two executions."""

    state: StateDiff
    files: FileDiff


@dataclass
class StorageStats:
    """What the content-addressed store holds and how much deduplication saves."""

    blobs: int
    bytes_stored: int
    bytes_referenced: int
    snapshots: int
    dedup_ratio: float
    per_project: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Checkpoint state stored by content (docs/state_storage.md): ``values``, ``lists``,
    #: ``bytes_stored``, ``bytes_referenced``, ``checkpoints``, ``dedup_ratio``.
    state: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class WatcherStatus:
    """How snapshots find changed files now: what ``wtb doctor`` and the editor's status item show.

    ``mode``: "inotify", "watchdog" or "polling" while the file watcher is trusted;
    "walking" when snapshots walk the workspace instead (``reason`` says why); "off" when
    nothing watches (file tracking or watching is off). ``round_trip_ms``: the last
    barrier's cookie round trip; ``barrier_timeouts``: barriers that ever timed out.
    """

    mode: str
    reason: str = ""
    round_trip_ms: float | None = None
    barrier_timeouts: int = 0


@dataclass
class DoctorReport:
    """``wtb doctor``: versions, the file watcher, the data directory, Ray."""

    python: str
    libraries: dict[str, str | None]
    watcher: WatcherStatus
    workspace: str
    data_dir: str
    data_dir_bytes: int
    ray_importable: bool
    problems: list[str] = field(default_factory=list)


def to_jsonable(value: Any) -> Any:
    """Turn records (dataclasses, enums, bytes, tuples) and state values into JSON-ready values.

    What the editor and ``--json`` show of a state, so each type reads as its users write it:
    dates and times in ISO 8601, a ``Decimal`` or ``UUID`` as its text, a pydantic model (a
    LangChain message among them) as its fields (``model_dump(mode="json")``, its public
    API), bytes as their text when they are UTF-8, else as ``repr`` (never a lossy decode).
    Anything else is its ``repr``.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _scalar_jsonable(value)


def _scalar_jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return repr(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, PurePath)):
        return str(value)
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump) and not isinstance(value, type):
        try:
            return to_jsonable(model_dump(mode="json"))
        except Exception:  # a model whose fields do not dump: its repr, as any other value
            pass
    return repr(value)
