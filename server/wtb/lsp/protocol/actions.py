"""Params and results of the requests that change things: run, resume, cancel, rollback,
fork and batch (``wtb.lsp.actions`` answers them).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from wtb.lsp.protocol.records import CheckpointRef, ExecutionInfo, ProgressToken, SkippedFileInfo


@attrs.define(kw_only=True)
class RunParams:
    """Start a run in a worker process.

    Answers as soon as the execution exists (``wait`` false, the default); the end is
    signalled by ``wtb/executionChanged``. With ``wait`` true the request stays open
    until the execution ends and ``$/cancelRequest`` on it cancels the run.
    """

    workflow: str
    #: The graph's input: an object of state keys for a ``StateGraph``, any JSON value for an
    #: ``@entrypoint`` (a plain value given to a ``StateGraph`` fails the run with a clear error).
    initial_state: Any = None
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
    """``skipped``: files the rollback would leave as they are, and why (over ``maxFileSize``)."""

    writes: list[str]
    deletes: list[str]
    skipped: list[SkippedFileInfo] = attrs.Factory(list)


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
    skipped: list[SkippedFileInfo] = attrs.Factory(list)  # paths left as they are (over the size limit)


@attrs.define(kw_only=True)
class UndoRollbackParams:
    execution_id: str


@attrs.define(kw_only=True)
class ForkParams:
    """Fork at a checkpoint (null: the head); ``run`` true resumes the fork in a worker at once.

    ``stateUpdates`` are applied as ``asNode`` when given; after a step that ran several nodes
    LangGraph needs it (an error with ``data.type`` ``AsNodeRequiredError`` and
    ``data.candidates`` says which nodes; nothing is created).
    """

    execution_id: str
    checkpoint_id: str | None = None
    state_updates: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    name: str | None = None
    run: bool = False
    timeout_s: float | None = None
    work_done_token: ProgressToken | None = None
    as_node: str | None = None


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
