"""The value types and the records that many methods share, and ``initializationOptions``.

Executions, checkpoints, workflows and their graphs, files: the records the read-only
requests answer with and the actions hand back (``ExecutionInfo`` most of all).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

# The value types the records share.
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
class InterruptInfo:
    """A question a node asked with ``interrupt()``; ``value`` is the question as the node passed it.

    ``namespace``: "" in the root graph, LangGraph's ``checkpoint_ns`` inside a subgraph.
    Answer it with ``wtb/resume``'s ``resumeValue`` (several: an object keyed by ``id``).
    """

    id: str
    value: Any = None
    node: str | None = None
    namespace: str = ""


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
    interrupts: list[InterruptInfo] = attrs.Factory(list)  # questions pending at the head
    rollback_undoable: bool = False  # a rollback to undo, and nothing ran since


@attrs.define(kw_only=True)
class ExecutionTreeNode:
    execution: ExecutionInfo
    children: list[ExecutionTreeNode] = attrs.Factory(list)


@attrs.define(kw_only=True)
class CheckpointInfo:
    """One super-step boundary; ``outputFiles`` maps a path the step changed to its hash (null: deleted).

    ``namespace`` is "" for the root graph, LangGraph's ``checkpoint_ns`` for a step inside a
    subgraph (``node:<task id>``, levels joined by ``|``); ``interrupts``: the questions
    pending at this checkpoint.
    """

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
    namespace: str = ""
    interrupts: list[InterruptInfo] = attrs.Factory(list)
    #: nodes of the step that made it answered from LangGraph's cache (``CachePolicy``)
    cached: list[str] = attrs.Factory(list)
    #: nodes of that step answered from a recording (a replayed node, not run)
    replayed: list[str] = attrs.Factory(list)
    #: node -> error, for the nodes of that step that raised (an error handler took over, or the run failed)
    errors: dict[str, str] = attrs.Factory(dict)
    #: node -> the errors of its attempts that a ``RetryPolicy`` retried
    retries: dict[str, list[str]] = attrs.Factory(dict)


@attrs.define(kw_only=True)
class FileEntryInfo:
    path: str
    kind: Literal["file", "symlink", "skipped"]
    hash: str | None = None
    size: int
    mode: int
    target: str | None = None


@attrs.define(kw_only=True)
class SkippedFileInfo:
    """A path a rollback left as it is though the checkpoint differs (a file over ``maxFileSize``
    was never stored), and why."""

    path: str
    reason: str


@attrs.define(kw_only=True)
class CheckpointRef:
    """A checkpoint of an execution; ``checkpointId`` null means the execution's head."""

    execution_id: str
    checkpoint_id: str | None = None
