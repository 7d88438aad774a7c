"""``wtb/*`` requests that change things: run, resume, cancel, rollback, fork, batch.

Runs and resumes go to worker processes (``wtb.lsp.runs``) and answer as soon as the
execution exists, unless ``wait`` is true. Rollback and fork are quick SDK calls made in
a thread. Every change is announced with ``wtb/executionChanged``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from wtb import errors
from wtb.lsp import batches, oneshot, records
from wtb.lsp import protocol as p
from wtb.lsp.queries import ensure_project
from wtb.lsp.registry import request
from wtb.lsp.server import WtbLanguageServer


async def _execution(ls: WtbLanguageServer, execution_id: str) -> p.ExecutionInfo:
    return records.execution(await ls.bench_host.call(lambda bench: bench.get_execution(execution_id)))


def _check_timeout(given: float | None) -> None:
    if given is not None and not given > 0:
        raise errors.InvalidArgumentError("timeoutS must be a positive number of seconds.")


async def _timeout(ls: WtbLanguageServer, workflow: str, given: float | None) -> float | None:
    """The run's own timeout, else the workflow's ``ExecutionConfig.timeout_s``, else ``runTimeoutS``."""
    if given is not None:
        return given
    try:
        project = await ls.bench_host.call(lambda bench: bench.get_project(workflow))
        configured = project.execution.timeout_s
    except (errors.WTBError, AttributeError):
        configured = None
    return configured if configured is not None else ls.options.run_timeout_s


async def _start(
    ls: WtbLanguageServer,
    execution: p.ExecutionInfo,
    *,
    resume: bool,
    state_updates: dict[str, Any] | None,
    timeout_s: float | None,
    token: int | str | None,
    wait: bool,
    extra_args: list[str] | None = None,
) -> p.ExecutionStarted:
    try:
        run = await ls.runs.start(
            execution,
            resume=resume,
            state_updates=state_updates,
            timeout_s=await _timeout(ls, execution.workflow, timeout_s),
            token=token,
            extra_args=extra_args,
        )
    except OSError as exc:  # the worker could not even be spawned
        if not resume:
            from wtb.models import ExecutionError, ExecutionStatus

            error = ExecutionError(node=None, type="WorkerDied", message=f"The worker could not start: {exc}")
            await ls.bench_host.call(lambda bench: bench.mark_finished(execution.id, ExecutionStatus.FAILED, error))
        raise errors.WTBError(f"The run worker could not start: {exc}") from exc
    token_used = run.progress.token if run.progress is not None else None
    if resume:
        # A resume the SDK refuses before running anything (questions pending and no answer,
        # a state edit that needs asNode) is this request's error, not a silent "still paused".
        refused = await asyncio.shield(run.started)
        if refused:
            await ls.runs.wait(execution.id)
            raise oneshot.as_wtb_error(refused)
    if not wait:
        return p.ExecutionStarted(execution=execution, progress_token=token_used)
    try:
        final = await ls.runs.wait(execution.id)
    except asyncio.CancelledError:  # $/cancelRequest on a waiting request cancels the run
        await asyncio.shield(ls.runs.cancel(execution.id))
        raise
    return p.ExecutionStarted(execution=final or await _execution(ls, execution.id), progress_token=token_used)


@request(p.RUN)
async def run(ls: WtbLanguageServer, params: p.RunParams) -> p.ExecutionStarted:
    _check_timeout(params.timeout_s)
    await ensure_project(ls, params.workflow)
    pause = _pause(params)
    created = await ls.bench_host.call(
        lambda bench: bench.create_execution(
            params.workflow, params.initial_state, params.config, params.name, pause=pause
        )
    )
    execution = records.execution(created)
    ls.notify_execution(execution)
    return await _start(
        ls,
        execution,
        resume=False,
        state_updates=None,
        timeout_s=params.timeout_s,
        token=params.work_done_token,
        wait=params.wait,
    )


def _pause(params: p.RunParams) -> Any:
    """The run's pause points as the SDK's ``PauseStrategyConfig`` (None: the workflow's own)."""
    if not (params.pause_before or params.pause_after or params.pause_on_error or params.pause_every_step):
        return None
    from wtb.config import PauseStrategyConfig

    return PauseStrategyConfig(
        before=list(params.pause_before or []),
        after=list(params.pause_after or []),
        on_error=params.pause_on_error,
        every_step=params.pause_every_step,
    )


def _check_resumable(execution: p.ExecutionInfo, ls: WtbLanguageServer) -> None:
    if ls.runs.is_running(execution.id) or execution.status == "running":
        raise errors.BusyError(f"Execution {execution.id} is running; wait for it or cancel it first.")
    if execution.status == "pending":
        raise errors.InvalidStateError(f"Execution {execution.id} has not started yet; it cannot resume.")
    if execution.head_checkpoint_id is None:
        raise errors.InvalidStateError(f"Execution {execution.id} has no checkpoint to resume from.")


@request(p.RESUME)
async def resume(ls: WtbLanguageServer, params: p.ResumeParams) -> p.ExecutionStarted:
    _check_timeout(params.timeout_s)
    await ls.runs.settle(params.execution_id)
    execution = await _execution(ls, params.execution_id)
    _check_resumable(execution, ls)
    extra: list[str] = []
    if params.as_node is not None:
        extra += ["--as-node", params.as_node]
    if params.resume_value is not None:
        extra += ["--resume-value", json.dumps(params.resume_value)]
    return await _start(
        ls,
        execution,
        resume=True,
        state_updates=params.state_updates,
        timeout_s=params.timeout_s,
        token=params.work_done_token,
        wait=params.wait,
        extra_args=extra,
    )


@request(p.CANCEL)
async def cancel(ls: WtbLanguageServer, params: p.CancelParams) -> p.CancelResult:
    execution = await _execution(ls, params.execution_id)  # NotFound for an unknown id
    was_running = await ls.runs.cancel(params.execution_id)
    if not was_running and execution.status == "running":  # run by another process (a CLI or SDK run)
        await ls.bench_host.call(lambda bench: bench.cancel(params.execution_id))
        was_running = True
        ls.notify_execution(await _execution(ls, params.execution_id))
    return p.CancelResult(execution=await _execution(ls, params.execution_id), was_running=was_running)


async def _not_running(ls: WtbLanguageServer, execution_id: str, action: str) -> None:
    await ls.runs.settle(execution_id)
    if ls.runs.is_running(execution_id):
        raise errors.BusyError(f"Execution {execution_id} is running; cancel it or wait before {action}.")


@request(p.PLAN_ROLLBACK)
async def plan_rollback(ls: WtbLanguageServer, params: p.PlanRollbackParams) -> p.PlanRollbackResult:
    plan = await ls.bench_host.call(lambda bench: bench.plan_rollback(params.execution_id, params.checkpoint_id))
    return p.PlanRollbackResult(
        writes=sorted(plan.writes),
        deletes=sorted(plan.deletes),
        skipped=[p.SkippedFileInfo(path=s.path, reason=s.reason) for s in plan.skipped],
    )


@request(p.ROLLBACK)
async def rollback(ls: WtbLanguageServer, params: p.RollbackParams) -> p.RollbackResult:
    await _not_running(ls, params.execution_id, "rolling it back")
    result = await ls.bench_host.call(lambda bench: bench.rollback(params.execution_id, params.checkpoint_id))
    ls.notify_execution(await _execution(ls, params.execution_id))
    return records.rollback_result(result)


@request(p.UNDO_ROLLBACK)
async def undo_rollback(ls: WtbLanguageServer, params: p.UndoRollbackParams) -> p.RollbackResult:
    await _not_running(ls, params.execution_id, "undoing its rollback")
    result = await ls.bench_host.call(lambda bench: bench.undo_rollback(params.execution_id))
    ls.notify_execution(await _execution(ls, params.execution_id))
    return records.rollback_result(result)


@request(p.FORK)
async def fork(ls: WtbLanguageServer, params: p.ForkParams) -> p.ExecutionStarted:
    _check_timeout(params.timeout_s)
    checkpoint_id = params.checkpoint_id
    if checkpoint_id is None:
        checkpoint_id = (await _execution(ls, params.execution_id)).head_checkpoint_id
        if checkpoint_id is None:
            raise errors.InvalidStateError(f"Execution {params.execution_id} has no checkpoint to fork from.")
    if params.state_updates:
        # Applying state edits compiles the graph (imports user code): do it in a worker.
        await ls.bench_host.call(lambda bench: bench.get_execution(params.execution_id))  # NotFound before spawning
        args = ["--fork", params.execution_id, "--checkpoint-id", checkpoint_id]
        args += ["--state-updates", json.dumps(params.state_updates)]
        if params.config is not None:
            args += ["--config", json.dumps(params.config)]
        if params.name is not None:
            args += ["--name", params.name]
        if params.as_node is not None:
            args += ["--as-node", params.as_node]
        args += ["--file-tracking", json.dumps(ls.file_tracking_fields(watch=False))]
        created = await oneshot.call(ls, args, "execution", f"Forking execution {params.execution_id}")
    else:
        created = await ls.bench_host.call(
            lambda bench: bench.fork(
                params.execution_id, checkpoint_id, None, params.config, params.name, as_node=params.as_node
            )
        )
    execution = records.execution(created)
    ls.notify_execution(execution)
    if not params.run:
        return p.ExecutionStarted(execution=execution, progress_token=None)
    return await _start(
        ls,
        execution,
        resume=True,
        state_updates=None,
        timeout_s=params.timeout_s,
        token=params.work_done_token,
        wait=False,
    )


@request(p.BATCH)
async def batch(ls: WtbLanguageServer, params: p.BatchParams) -> p.BatchResult:
    await ensure_project(ls, params.workflow)
    return await batches.run(ls, params)
