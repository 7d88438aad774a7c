"""Which records each method carries: ``REQUESTS``, ``NOTIFICATIONS``, ``COMMANDS``, and
``TRUST_REQUIRED``, the requests an untrusted workspace refuses.

The records that only a command or a notification carries are declared here too: the
result of ``wtb.history`` and the params of the notifications.
"""

from __future__ import annotations

from typing import Any, Final

import attrs

from wtb.lsp.protocol.actions import (
    BatchParams,
    BatchResult,
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
    GoldenInfo,
    ListGoldensParams,
    ListGoldensResult,
    MarkGoldenParams,
    PruneParams,
    PruneResult,
)
from wtb.lsp.protocol.methods import (
    BATCH,
    CANCEL,
    CHECK,
    CHECKPOINT_ADDED,
    CMD_BATCH,
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
    LIST_CHECKPOINTS,
    LIST_EXECUTIONS,
    LIST_FILES,
    LIST_GOLDENS,
    LIST_WORKFLOWS,
    MARK_GOLDEN,
    PLAN_ROLLBACK,
    PRUNE,
    READ_FILE,
    RESUME,
    ROLLBACK,
    RUN,
    STORAGE_STATS,
    UNDO_ROLLBACK,
    WORKFLOWS_CHANGED,
)
from wtb.lsp.protocol.queries import (
    DiffParams,
    DiffResult,
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
)
from wtb.lsp.protocol.records import CheckpointInfo, ExecutionInfo, WorkflowInfo
from wtb.lsp.protocol.upkeep import DoctorParams, DoctorResult, StorageStatsParams, StorageStatsResult


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
