"""Params and results of the read-only requests: workflows, graphs, executions, checkpoints,
state, files and diffs (``wtb.lsp.queries`` answers them).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from wtb.lsp.protocol.records import (
    CheckpointInfo,
    CheckpointRef,
    ExecutionInfo,
    ExecutionTreeNode,
    FileEncoding,
    FileEntryInfo,
    GraphEdge,
    GraphNode,
    WorkflowInfo,
)

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
    """``input_schema`` / ``state_schema``: LangGraph's JSON Schemas of the run input and of the
    keys a state edit may set (``engine/graph_info.py``); None where LangGraph gives none."""

    workflow: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    input_schema: dict[str, Any] | None = None
    state_schema: dict[str, Any] | None = None


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
    """Newest first. ``before``: a checkpoint id; the page starts just below it.

    ``subgraphs`` true: the steps inside subgraph nodes too (their ``namespace`` is not "").
    """

    execution_id: str
    limit: int = 50
    before: str | None = None
    subgraphs: bool = False


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
