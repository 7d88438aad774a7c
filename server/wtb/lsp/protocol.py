"""The ``wtb/*`` protocol: every method name, its params and its result, in one file.

This file is the single source of truth for the wire format between the daemon and the
editor extension (``extension/src/protocol.ts`` mirrors it, ``docs/protocol.md``
documents it, and a test checks that the document names exactly the methods defined
here). Python names are snake_case; on the wire every field is camelCase, and every
field is always present (``null`` when empty), so the client never has to guess.

Params are structured with :func:`from_wire` (a bad value becomes one readable
``InvalidArgumentError``), results are turned into JSON with :func:`to_wire`.
Additions are fine; renames and removals break the extension.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from wtb.errors import InvalidArgumentError

# --------------------------------------------------------------------------- requests

LIST_WORKFLOWS: Final = "wtb/listWorkflows"
GET_GRAPH: Final = "wtb/getGraph"
LIST_EXECUTIONS: Final = "wtb/listExecutions"
GET_EXECUTION: Final = "wtb/getExecution"
GET_EXECUTION_TREE: Final = "wtb/getExecutionTree"
LIST_CHECKPOINTS: Final = "wtb/listCheckpoints"
GET_STATE: Final = "wtb/getState"
LIST_FILES: Final = "wtb/listFiles"
READ_FILE: Final = "wtb/readFile"
DIFF: Final = "wtb/diff"
RUN: Final = "wtb/run"
RESUME: Final = "wtb/resume"
CANCEL: Final = "wtb/cancel"
PLAN_ROLLBACK: Final = "wtb/planRollback"
ROLLBACK: Final = "wtb/rollback"
UNDO_ROLLBACK: Final = "wtb/undoRollback"
FORK: Final = "wtb/fork"
BATCH: Final = "wtb/batch"
STORAGE_STATS: Final = "wtb/storageStats"
DOCTOR: Final = "wtb/doctor"
MARK_GOLDEN: Final = "wtb/markGolden"
LIST_GOLDENS: Final = "wtb/listGoldens"
CHECK: Final = "wtb/check"
PRUNE: Final = "wtb/prune"

# ---------------------------------------------------------------- server → client

EXECUTION_CHANGED: Final = "wtb/executionChanged"
CHECKPOINT_ADDED: Final = "wtb/checkpointAdded"
WORKFLOWS_CHANGED: Final = "wtb/workflowsChanged"

# ------------------------------------------------- workspace/executeCommand commands

CMD_RUN: Final = "wtb.run"
CMD_FORK: Final = "wtb.fork"
CMD_BATCH: Final = "wtb.batch"
CMD_HISTORY: Final = "wtb.history"

# ------------------------------------------------------------------- error codes
# Application codes live outside the ranges JSON-RPC (-32768..-32000) and LSP
# (-32899..-32800) reserve. Bad params use JSON-RPC's own -32602.

INVALID_PARAMS: Final = -32602
REQUEST_FAILED: Final = -32803  # LSP's "valid request that failed"; any other WTBError
NOT_FOUND: Final = 1001  # unknown workflow, execution or checkpoint id
WORKSPACE_UNTRUSTED: Final = 1002  # run/resume/fork/batch/rollback in an untrusted workspace
BUSY: Final = 1003  # another action holds the execution
NOT_AVAILABLE: Final = 1004  # the feature is in the protocol but not in this build yet
INVALID_STATE: Final = 1005  # the action does not fit the execution's status
WORKFLOW_LOAD: Final = 1006  # the workflow file cannot be imported / is not a graph
INTEGRITY: Final = 1007  # a stored blob is missing or corrupt
BENCH_UNAVAILABLE: Final = 1008  # the bench (data directory) could not be opened

ExecutionStatusName = Literal["pending", "running", "paused", "completed", "failed", "cancelled"]
ProgressToken = int | str
FileEncoding = Literal["auto", "text", "base64"]


# ======================================================== initializationOptions


@attrs.define(kw_only=True)
class FileTrackingOptions:
    """Mirrors ``wtb.config.FileTrackingConfig``; absent fields keep the SDK's defaults."""

    enabled: bool = True
    paths: list[str] | None = None
    ignore: list[str] | None = None
    max_file_size: str | int | None = None
    watch: bool = True


@attrs.define(kw_only=True)
class InitializationOptions:
    """``initialize``'s ``initializationOptions`` (all optional).

    ``dataDir`` defaults to ``<workspace>/.wtb``; ``trusted`` false refuses every request
    that would run workflow code or write workspace files; ``runTimeoutS`` bounds every run
    that has no timeout of its own; ``python`` is the interpreter for run workers
    (default: the daemon's own); ``warmWorker`` keeps one worker with LangGraph already
    imported waiting for the next run (trusted workspaces only).
    """

    data_dir: str | None = None
    trusted: bool = True
    file_tracking: FileTrackingOptions | None = None
    run_timeout_s: float | None = None
    python: str | None = None
    warm_worker: bool = True


# =============================================================== shared records


@attrs.define(kw_only=True)
class WorkflowInfo:
    """A workflow of the workspace; ``uri``/``line`` point at its graph definition (0-based line)."""

    name: str
    ref: str | None = None
    uri: str | None = None
    path: str | None = None
    line: int | None = None
    run_count: int = 0


@attrs.define(kw_only=True)
class GraphNode:
    id: str
    uri: str | None = None
    path: str | None = None
    line: int | None = None


@attrs.define(kw_only=True)
class GraphEdge:
    source: str
    target: str
    conditional: bool = False


@attrs.define(kw_only=True)
class ExecutionErrorInfo:
    node: str | None = None
    type: str
    message: str
    traceback: str = ""


@attrs.define(kw_only=True)
class ExecutionInfo:
    """An execution without its state (``wtb/getState`` returns that)."""

    id: str
    workflow: str
    status: ExecutionStatusName
    thread_id: str
    created_at: float
    finished_at: float | None = None
    name: str | None = None
    parent_id: str | None = None
    parent_checkpoint_id: str | None = None
    batch_id: str | None = None
    head_checkpoint_id: str | None = None
    next_nodes: list[str] = attrs.Factory(list)
    config: dict[str, Any] = attrs.Factory(dict)
    error: ExecutionErrorInfo | None = None


@attrs.define(kw_only=True)
class ExecutionTreeNode:
    execution: ExecutionInfo
    children: list[ExecutionTreeNode] = attrs.Factory(list)


@attrs.define(kw_only=True)
class CheckpointInfo:
    """One super-step boundary; ``outputFiles`` maps a path the step changed to its hash (null: deleted)."""

    id: str
    execution_id: str
    step: int
    source: str
    writes: dict[str, Any] = attrs.Factory(dict)
    next: list[str] = attrs.Factory(list)
    parent_id: str | None = None
    created_at: str
    snapshot_id: str | None = None
    output_files: dict[str, str | None] = attrs.Factory(dict)


@attrs.define(kw_only=True)
class FileEntryInfo:
    path: str
    kind: Literal["file", "symlink", "skipped"]
    hash: str | None = None
    size: int
    mode: int
    target: str | None = None


@attrs.define(kw_only=True)
class CheckpointRef:
    """A checkpoint of an execution; ``checkpointId`` null means the execution's head."""

    execution_id: str
    checkpoint_id: str | None = None


# =============================================================== params / results


@attrs.define(kw_only=True)
class ListWorkflowsParams:
    pass


@attrs.define(kw_only=True)
class ListWorkflowsResult:
    workflows: list[WorkflowInfo]


@attrs.define(kw_only=True)
class GetGraphParams:
    workflow: str


@attrs.define(kw_only=True)
class GetGraphResult:
    workflow: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]


@attrs.define(kw_only=True)
class ListExecutionsParams:
    workflow: str | None = None
    limit: int = 100
    offset: int = 0


@attrs.define(kw_only=True)
class ListExecutionsResult:
    executions: list[ExecutionInfo]


@attrs.define(kw_only=True)
class GetExecutionParams:
    execution_id: str


@attrs.define(kw_only=True)
class GetExecutionTreeParams:
    workflow: str | None = None


@attrs.define(kw_only=True)
class GetExecutionTreeResult:
    roots: list[ExecutionTreeNode]


@attrs.define(kw_only=True)
class ListCheckpointsParams:
    """Newest first. ``before``: a checkpoint id; the page starts just below it."""

    execution_id: str
    limit: int = 50
    before: str | None = None


@attrs.define(kw_only=True)
class ListCheckpointsResult:
    checkpoints: list[CheckpointInfo]
    next_before: str | None = None  # pass as ``before`` for the next page; null: no more


@attrs.define(kw_only=True)
class GetStateParams:
    execution_id: str
    checkpoint_id: str | None = None


@attrs.define(kw_only=True)
class GetStateResult:
    execution_id: str
    checkpoint_id: str | None = None
    values: dict[str, Any]


@attrs.define(kw_only=True)
class ListFilesParams:
    execution_id: str
    checkpoint_id: str | None = None


@attrs.define(kw_only=True)
class ListFilesResult:
    execution_id: str
    checkpoint_id: str | None = None
    files: list[FileEntryInfo]


@attrs.define(kw_only=True)
class ReadFileParams:
    """``encoding``: ``auto`` gives text when the bytes are UTF-8, base64 otherwise."""

    execution_id: str
    checkpoint_id: str | None = None
    path: str
    encoding: FileEncoding = "auto"


@attrs.define(kw_only=True)
class ReadFileResult:
    path: str
    encoding: Literal["text", "base64"]
    content: str
    size: int


@attrs.define(kw_only=True)
class DiffParams:
    a: CheckpointRef
    b: CheckpointRef


@attrs.define(kw_only=True)
class StateDiffInfo:
    added: dict[str, Any] = attrs.Factory(dict)
    removed: dict[str, Any] = attrs.Factory(dict)
    changed: dict[str, list[Any]] = attrs.Factory(dict)  # key → [old, new]


@attrs.define(kw_only=True)
class FileDiffInfo:
    added: dict[str, str | None] = attrs.Factory(dict)
    removed: dict[str, str | None] = attrs.Factory(dict)
    modified: dict[str, list[str | None]] = attrs.Factory(dict)  # path → [old hash, new hash]


@attrs.define(kw_only=True)
class DiffResult:
    state: StateDiffInfo
    files: FileDiffInfo


@attrs.define(kw_only=True)
class RunParams:
    """Start a run in a worker process.

    Answers as soon as the execution exists (``wait`` false, the default); the end is
    signalled by ``wtb/executionChanged``. With ``wait`` true the request stays open
    until the execution ends and ``$/cancelRequest`` on it cancels the run.
    """

    workflow: str
    initial_state: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    name: str | None = None
    timeout_s: float | None = None
    wait: bool = False
    work_done_token: ProgressToken | None = None
    pause_before: list[str] | None = None
    pause_after: list[str] | None = None
    pause_on_error: bool = False
    pause_every_step: bool = False


@attrs.define(kw_only=True)
class ExecutionStarted:
    """The execution (status ``pending``/``running``, or final when ``wait`` was true)."""

    execution: ExecutionInfo
    progress_token: ProgressToken | None = None


@attrs.define(kw_only=True)
class ResumeParams:
    """``stateUpdates`` are applied first (as ``asNode`` when given); ``resumeValue`` answers an ``interrupt()``."""

    execution_id: str
    state_updates: dict[str, Any] | None = None
    timeout_s: float | None = None
    wait: bool = False
    work_done_token: ProgressToken | None = None
    as_node: str | None = None
    resume_value: Any = None


@attrs.define(kw_only=True)
class CancelParams:
    execution_id: str


@attrs.define(kw_only=True)
class CancelResult:
    execution: ExecutionInfo
    was_running: bool


@attrs.define(kw_only=True)
class PlanRollbackParams:
    execution_id: str
    checkpoint_id: str


@attrs.define(kw_only=True)
class PlanRollbackResult:
    writes: list[str]
    deletes: list[str]


@attrs.define(kw_only=True)
class RollbackParams:
    execution_id: str
    checkpoint_id: str


@attrs.define(kw_only=True)
class RollbackResult:
    execution_id: str
    checkpoint_id: str
    previous_checkpoint_id: str | None = None
    files_written: list[str] = attrs.Factory(list)
    files_removed: list[str] = attrs.Factory(list)
    undo_snapshot_id: str | None = None


@attrs.define(kw_only=True)
class UndoRollbackParams:
    execution_id: str


@attrs.define(kw_only=True)
class ForkParams:
    """Fork at a checkpoint (null: the head); ``run`` true resumes the fork in a worker at once."""

    execution_id: str
    checkpoint_id: str | None = None
    state_updates: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    name: str | None = None
    run: bool = False
    timeout_s: float | None = None
    work_done_token: ProgressToken | None = None


@attrs.define(kw_only=True)
class BatchVariant:
    """One variant; ``nodeOverrides`` maps a node to a ``"file.py:function"`` that replaces it."""

    name: str | None = None
    initial_state: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    state_updates: dict[str, Any] | None = None
    node_overrides: dict[str, str] | None = None


@attrs.define(kw_only=True)
class BatchParams:
    """Answers when the batch has ended; ``$/cancelRequest`` on it cancels the batch."""

    workflow: str
    variants: list[BatchVariant]
    from_checkpoint: CheckpointRef | None = None
    max_parallel: int | None = None
    backend: Literal["ray", "local"] | None = None
    work_done_token: ProgressToken | None = None


@attrs.define(kw_only=True)
class BatchResult:
    """``summary`` is the batch's full record (per-variant outcome, timings, comparison)."""

    batch_id: str
    status: str
    executions: list[ExecutionInfo] = attrs.Factory(list)
    summary: dict[str, Any] = attrs.Factory(dict)


@attrs.define(kw_only=True)
class StorageStatsParams:
    pass


@attrs.define(kw_only=True)
class DoctorParams:
    """``measure_data_dir``: false skips walking the data directory for its size (``dataDirBytes`` 0):
    what the editor's status item asks after every run, when only the watcher matters."""

    measure_data_dir: bool = True


@attrs.define(kw_only=True)
class WatcherInfo:
    """``mode``: "inotify", "watchdog" or "polling" (trusted), "walking" (``reason`` says why) or "off"."""

    mode: str
    reason: str = ""
    round_trip_ms: float | None = None
    barrier_timeouts: int = 0


@attrs.define(kw_only=True)
class DoctorResult:
    """What ``wtb doctor`` prints: versions, the file watcher after a live barrier, the data dir, Ray."""

    python: str
    libraries: dict[str, str | None]
    watcher: WatcherInfo
    workspace: str
    data_dir: str
    data_dir_bytes: int
    ray_importable: bool
    problems: list[str] = attrs.Factory(list)


@attrs.define(kw_only=True)
class StorageStatsResult:
    blobs: int
    bytes_stored: int
    bytes_referenced: int
    snapshots: int
    dedup_ratio: float
    per_project: dict[str, dict[str, int]] = attrs.Factory(dict)


@attrs.define(kw_only=True)
class GoldenInfo:
    """A known-good completed execution that ``wtb/check`` compares new runs with."""

    name: str
    execution_id: str
    workflow: str
    created_at: float


@attrs.define(kw_only=True)
class MarkGoldenParams:
    """``name`` defaults to the execution's workflow name (one golden per workflow)."""

    execution_id: str
    name: str | None = None


@attrs.define(kw_only=True)
class ListGoldensParams:
    workflow: str | None = None


@attrs.define(kw_only=True)
class ListGoldensResult:
    goldens: list[GoldenInfo]


@attrs.define(kw_only=True)
class CheckParams:
    """Re-run against a golden (by ``golden`` name, else the workflow's) in a worker and compare."""

    workflow: str | None = None
    golden: str | None = None
    initial_state: dict[str, Any] | None = None
    ignore_keys: list[str] | None = None
    ignore_paths: list[str] | None = None
    rel_tolerance: float = 0.0
    abs_tolerance: float = 0.0
    work_done_token: ProgressToken | None = None


@attrs.define(kw_only=True)
class DivergenceInfo:
    """One difference; ``kind``: ``key`` (a state key), ``file`` or ``length`` (number of checkpoints)."""

    step: int
    checkpoint_id: str | None = None
    node: str | None = None
    kind: str
    name: str
    expected: Any = None
    actual: Any = None
    diff: str = ""


@attrs.define(kw_only=True)
class CheckResultInfo:
    """``divergence`` is the first difference (null when passed); ``report`` is readable text."""

    golden: str
    golden_execution_id: str
    execution_id: str
    passed: bool
    checkpoints_compared: int
    divergence: DivergenceInfo | None = None
    differences: list[DivergenceInfo] = attrs.Factory(list)
    report: str = ""


@attrs.define(kw_only=True)
class PruneParams:
    """Delete old executions and the blobs only they used; at least one limit is required."""

    keep_last: int | None = None
    older_than_s: float | None = None
    keep_golden: bool = True
    keep_forks_of_kept: bool = True
    max_storage: str | int | None = None


@attrs.define(kw_only=True)
class PruneResult:
    deleted: list[str] = attrs.Factory(list)
    kept: int = 0
    blobs_removed: int = 0
    bytes_freed: int = 0


@attrs.define(kw_only=True)
class HistoryResult:
    """What ``wtb.history`` answers: the workflow's executions, newest first."""

    workflow: str
    executions: list[ExecutionInfo]


# ------------------------------------------------------------------ notifications


@attrs.define(kw_only=True)
class ExecutionChangedParams:
    """Sent on every status or head change (created, running, paused, finished, rolled back)."""

    execution: ExecutionInfo


@attrs.define(kw_only=True)
class CheckpointAddedParams:
    execution_id: str
    checkpoint: CheckpointInfo


@attrs.define(kw_only=True)
class WorkflowsChangedParams:
    workflows: list[WorkflowInfo]


# ---------------------------------------------------------------------- registry

#: method → (params type, result type), every request the daemon answers.
REQUESTS: Final[dict[str, tuple[type[Any], type[Any]]]] = {
    LIST_WORKFLOWS: (ListWorkflowsParams, ListWorkflowsResult),
    GET_GRAPH: (GetGraphParams, GetGraphResult),
    LIST_EXECUTIONS: (ListExecutionsParams, ListExecutionsResult),
    GET_EXECUTION: (GetExecutionParams, ExecutionInfo),
    GET_EXECUTION_TREE: (GetExecutionTreeParams, GetExecutionTreeResult),
    LIST_CHECKPOINTS: (ListCheckpointsParams, ListCheckpointsResult),
    GET_STATE: (GetStateParams, GetStateResult),
    LIST_FILES: (ListFilesParams, ListFilesResult),
    READ_FILE: (ReadFileParams, ReadFileResult),
    DIFF: (DiffParams, DiffResult),
    RUN: (RunParams, ExecutionStarted),
    RESUME: (ResumeParams, ExecutionStarted),
    CANCEL: (CancelParams, CancelResult),
    PLAN_ROLLBACK: (PlanRollbackParams, PlanRollbackResult),
    ROLLBACK: (RollbackParams, RollbackResult),
    UNDO_ROLLBACK: (UndoRollbackParams, RollbackResult),
    FORK: (ForkParams, ExecutionStarted),
    BATCH: (BatchParams, BatchResult),
    STORAGE_STATS: (StorageStatsParams, StorageStatsResult),
    DOCTOR: (DoctorParams, DoctorResult),
    MARK_GOLDEN: (MarkGoldenParams, GoldenInfo),
    LIST_GOLDENS: (ListGoldensParams, ListGoldensResult),
    CHECK: (CheckParams, CheckResultInfo),
    PRUNE: (PruneParams, PruneResult),
}

#: method → params type, every notification the daemon sends.
NOTIFICATIONS: Final[dict[str, type[Any]]] = {
    EXECUTION_CHANGED: ExecutionChangedParams,
    CHECKPOINT_ADDED: CheckpointAddedParams,
    WORKFLOWS_CHANGED: WorkflowsChangedParams,
}

#: command → what it returns; arguments are ``[workflow, options?]`` (see docs/protocol.md).
COMMANDS: Final[dict[str, type[Any]]] = {
    CMD_RUN: ExecutionStarted,
    CMD_FORK: ExecutionStarted,
    CMD_BATCH: BatchResult,
    CMD_HISTORY: HistoryResult,
}

#: requests that run workflow code (importing a workflow file runs it) or change the workspace
#: files: refused when the workspace is not trusted.
TRUST_REQUIRED: Final[frozenset[str]] = frozenset({GET_GRAPH, RUN, RESUME, FORK, BATCH, ROLLBACK, UNDO_ROLLBACK, CHECK})


# ---------------------------------------------------------------------- converter


def to_camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()

    def _token(value: Any, _: Any) -> Any:
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            return value
        raise ValueError(f"expected a string or an integer, got {type(value).__name__}")

    def _optional_token(value: Any, tp: Any) -> Any:
        return None if value is None else _token(value, tp)

    conv.register_structure_hook(int | str, _token)
    conv.register_structure_hook(int | str | None, _optional_token)

    def _size(value: Any, _: Any) -> Any:
        if value is None or (isinstance(value, (int, str)) and not isinstance(value, bool)):
            return value
        raise ValueError(f'expected a size like "50MB" or a byte count, got {_json_type(value)}')

    conv.register_structure_hook(str | int | None, _size)

    # cattrs would happily turn 3 into "3" or "x" into an error deep in int(); be strict.
    def _strict(expected: type[Any], accepted: tuple[type[Any], ...], name: str) -> Any:
        def hook(value: Any, _: Any) -> Any:
            if isinstance(value, bool) and expected is not bool:
                raise ValueError(f"expected {name}, got a boolean")
            if not isinstance(value, accepted):
                raise ValueError(f"expected {name}, got {_json_type(value)}")
            return expected(value)

        return hook

    conv.register_structure_hook(str, _strict(str, (str,), "a string"))
    conv.register_structure_hook(int, _strict(int, (int,), "an integer"))
    conv.register_structure_hook(float, _strict(float, (int, float), "a number"))
    conv.register_structure_hook(bool, _strict(bool, (bool,), "a boolean"))

    def _unstructure_factory(cls: type[Any]) -> Any:
        fields = {a.name: override(rename=to_camel(a.name)) for a in attrs.fields(cls)}
        return make_dict_unstructure_fn(cls, conv, **fields)  # type: ignore[arg-type]

    def _structure_factory(cls: type[Any]) -> Any:
        fields = {a.name: override(rename=to_camel(a.name)) for a in attrs.fields(cls)}
        return make_dict_structure_fn(cls, conv, **fields)  # type: ignore[arg-type]

    conv.register_unstructure_hook_factory(attrs.has, _unstructure_factory)
    conv.register_structure_hook_factory(attrs.has, _structure_factory)
    return conv


converter: Final = _make_converter()

T = TypeVar("T")


def from_wire(cls: type[T], params: Any, *, method: str = "") -> T:
    """Structure wire params (``None`` counts as ``{}``); a bad value is one readable error."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidArgumentError(f"{method or cls.__name__}: params must be an object")
    try:
        return converter.structure(params, cls)
    except cattrs.ClassValidationError as exc:
        messages = cattrs.transform_error(exc, path="params", format_exception=_format_exception)
        details = "; ".join(_readable(msg) for msg in messages)
        raise InvalidArgumentError(f"{method or cls.__name__}: {details}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidArgumentError(f"{method or cls.__name__}: {exc}") from None


def _format_exception(exc: BaseException, tp: type[Any] | None) -> str:
    if isinstance(exc, ValueError) and str(exc).startswith("expected "):
        return str(exc)
    return cattrs.v.format_exception(exc, tp)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


def _readable(message: str) -> str:
    # cattrs paths name Python fields; the client knows the camelCase ones.
    head, sep, path = message.rpartition(" @ ")
    if not sep:
        return message
    if head.startswith("unknown error (") and head.endswith(")"):
        head = head[len("unknown error (") : -1]
    head = head.replace("typing.Literal", "one of ")
    parts = path.split(".")
    return f"{head} @ " + ".".join(to_camel(p) for p in parts)


def to_wire(value: Any) -> Any:
    """Turn a protocol record (or a list/dict of them) into JSON-ready values."""
    return converter.unstructure(value)
