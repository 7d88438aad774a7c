"""The ``wtb/*`` protocol: every method name, its params and its result, in one package.

This package is the single source of truth for the wire format between the daemon and the
editor extension (``extension/src/protocol.ts`` is generated from it by
``scripts/gen_protocol_ts.py``, ``docs/protocol.md`` documents it, and a test checks that
the document names exactly the methods defined here). Python names are snake_case; on the
wire every field is camelCase, and every field is always present (``null`` when empty), so
the client never has to guess.

Its modules, in the order protocol.ts follows:

- ``methods``: method names, command names, error codes;
- ``records``: the shared value types and records, ``initializationOptions``;
- ``queries``, ``actions``, ``upkeep``, ``goldens``: params and results by area;
- ``registry``: which records each method carries (``REQUESTS`` …, ``TRUST_REQUIRED``);
- ``wire``: the converter (:func:`from_wire`, :func:`to_wire`, :func:`to_camel`).

Everything is re-exported here: ``from wtb.lsp import protocol as p; p.RUN, p.RunParams``.
Additions are fine; renames and removals break the extension.
"""

from __future__ import annotations

from wtb.lsp.protocol.actions import (
    BatchParams,
    BatchResult,
    BatchVariant,
    CancelParams,
    CancelResult,
    ExecutionStarted,
    ForkParams,
    PlanRollbackParams,
    PlanRollbackResult,
    ResumeParams,
    RollbackParams,
    RollbackResult,
    RunParams,
    UndoRollbackParams,
)
from wtb.lsp.protocol.goldens import (
    CheckParams,
    CheckResultInfo,
    DivergenceInfo,
    GoldenInfo,
    ListGoldensParams,
    ListGoldensResult,
    MarkGoldenParams,
    PruneParams,
    PruneResult,
)
from wtb.lsp.protocol.methods import (
    BATCH,
    BENCH_UNAVAILABLE,
    BUSY,
    CANCEL,
    CHECK,
    CHECKPOINT_ADDED,
    CMD_BATCH,
    CMD_DEBUG,
    CMD_FORK,
    CMD_HISTORY,
    CMD_RUN,
    DIFF,
    DOCTOR,
    EXECUTION_CHANGED,
    FORK,
    GET_EXECUTION,
    GET_EXECUTION_TREE,
    GET_GRAPH,
    GET_STATE,
    INTEGRITY,
    INVALID_PARAMS,
    INVALID_STATE,
    LIST_CHECKPOINTS,
    LIST_EXECUTIONS,
    LIST_FILES,
    LIST_GOLDENS,
    LIST_WORKFLOWS,
    MARK_GOLDEN,
    NOT_AVAILABLE,
    NOT_FOUND,
    PLAN_ROLLBACK,
    PRUNE,
    READ_FILE,
    REQUEST_FAILED,
    RESUME,
    ROLLBACK,
    RUN,
    STORAGE_STATS,
    UNDO_ROLLBACK,
    WORKFLOW_LOAD,
    WORKFLOWS_CHANGED,
    WORKSPACE_UNTRUSTED,
)
from wtb.lsp.protocol.queries import (
    DiffParams,
    DiffResult,
    FileDiffInfo,
    GetExecutionParams,
    GetExecutionTreeParams,
    GetExecutionTreeResult,
    GetGraphParams,
    GetGraphResult,
    GetStateParams,
    GetStateResult,
    ListCheckpointsParams,
    ListCheckpointsResult,
    ListExecutionsParams,
    ListExecutionsResult,
    ListFilesParams,
    ListFilesResult,
    ListWorkflowsParams,
    ListWorkflowsResult,
    ReadFileParams,
    ReadFileResult,
    StateDiffInfo,
)
from wtb.lsp.protocol.records import (
    CheckpointInfo,
    CheckpointRef,
    ExecutionErrorInfo,
    ExecutionInfo,
    ExecutionStatusName,
    ExecutionTreeNode,
    FileEncoding,
    FileEntryInfo,
    FileTrackingOptions,
    GraphEdge,
    GraphNode,
    InitializationOptions,
    InterruptInfo,
    ProgressToken,
    SkippedFileInfo,
    WorkflowInfo,
)
from wtb.lsp.protocol.registry import (
    COMMANDS,
    NOTIFICATIONS,
    REQUESTS,
    TRUST_REQUIRED,
    CheckpointAddedParams,
    ExecutionChangedParams,
    HistoryResult,
    WorkflowsChangedParams,
)
from wtb.lsp.protocol.upkeep import DoctorParams, DoctorResult, StorageStatsParams, StorageStatsResult, WatcherInfo
from wtb.lsp.protocol.wire import converter, from_wire, to_camel, to_wire

__all__ = [
    "BATCH", "BENCH_UNAVAILABLE", "BUSY", "CANCEL", "CHECK", "CHECKPOINT_ADDED", "CMD_BATCH", "CMD_DEBUG",
    "CMD_FORK", "CMD_HISTORY", "CMD_RUN", "COMMANDS", "DIFF", "DOCTOR", "EXECUTION_CHANGED", "FORK", "GET_EXECUTION",
    "GET_EXECUTION_TREE", "GET_GRAPH", "GET_STATE", "INTEGRITY", "INVALID_PARAMS", "INVALID_STATE",
    "LIST_CHECKPOINTS", "LIST_EXECUTIONS", "LIST_FILES", "LIST_GOLDENS", "LIST_WORKFLOWS", "MARK_GOLDEN",
    "NOTIFICATIONS", "NOT_AVAILABLE", "NOT_FOUND", "PLAN_ROLLBACK", "PRUNE", "READ_FILE", "REQUESTS",
    "REQUEST_FAILED", "RESUME", "ROLLBACK", "RUN", "STORAGE_STATS", "TRUST_REQUIRED", "UNDO_ROLLBACK",
    "WORKFLOWS_CHANGED", "WORKFLOW_LOAD", "WORKSPACE_UNTRUSTED", "BatchParams", "BatchResult", "BatchVariant",
    "CancelParams", "CancelResult", "CheckParams", "CheckResultInfo", "CheckpointAddedParams", "CheckpointInfo",
    "CheckpointRef", "DiffParams", "DiffResult", "DivergenceInfo", "DoctorParams", "DoctorResult",
    "ExecutionChangedParams", "ExecutionErrorInfo", "ExecutionInfo", "ExecutionStarted", "ExecutionStatusName",
    "ExecutionTreeNode", "FileDiffInfo", "FileEncoding", "FileEntryInfo", "FileTrackingOptions", "ForkParams",
    "GetExecutionParams", "GetExecutionTreeParams", "GetExecutionTreeResult", "GetGraphParams", "GetGraphResult",
    "GetStateParams", "GetStateResult", "GoldenInfo", "GraphEdge", "GraphNode", "HistoryResult",
    "InitializationOptions", "InterruptInfo", "ListCheckpointsParams", "ListCheckpointsResult", "ListExecutionsParams",
    "ListExecutionsResult", "ListFilesParams", "ListFilesResult", "ListGoldensParams", "ListGoldensResult",
    "ListWorkflowsParams", "ListWorkflowsResult", "MarkGoldenParams", "PlanRollbackParams", "PlanRollbackResult",
    "ProgressToken", "PruneParams", "PruneResult", "ReadFileParams", "ReadFileResult", "ResumeParams",
    "RollbackParams", "RollbackResult", "RunParams", "SkippedFileInfo", "StateDiffInfo", "StorageStatsParams",
    "StorageStatsResult", "UndoRollbackParams", "WatcherInfo", "WorkflowInfo", "WorkflowsChangedParams",
    "converter", "from_wire", "to_camel", "to_wire",
]
