"""``wtb/*`` requests for regression and retention: mark golden, list goldens, check, prune.

``wtb/check`` runs the workflow again, so it goes through a worker process (``--check``)
like a run; marking, listing and pruning are SDK calls in the bench's thread.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from wtb import errors
from wtb.lsp import oneshot, records
from wtb.lsp import protocol as p
from wtb.lsp.progress import RunProgress, obtain_token
from wtb.lsp.registry import request
from wtb.lsp.server import WtbLanguageServer

CHECK_TIMEOUT_S = 600.0


def _golden(record: Any) -> p.GoldenInfo:
    return p.GoldenInfo(
        name=str(record.name),
        execution_id=str(record.execution_id),
        workflow=str(record.project),
        created_at=float(record.created_at),
    )


@request(p.MARK_GOLDEN)
async def mark_golden(ls: WtbLanguageServer, params: p.MarkGoldenParams) -> p.GoldenInfo:
    return _golden(await ls.bench_host.call(lambda bench: bench.mark_golden(params.execution_id, params.name)))


@request(p.LIST_GOLDENS)
async def list_goldens(ls: WtbLanguageServer, params: p.ListGoldensParams) -> p.ListGoldensResult:
    found = await ls.bench_host.call(lambda bench: bench.list_goldens(params.workflow))
    return p.ListGoldensResult(goldens=[_golden(g) for g in found])


def _divergence(data: dict[str, Any]) -> p.DivergenceInfo:
    return p.DivergenceInfo(
        step=int(data.get("step") or 0),
        checkpoint_id=data.get("checkpoint_id"),
        node=data.get("node"),
        kind=str(data.get("kind") or ""),
        name=str(data.get("name") or ""),
        expected=data.get("expected"),
        actual=data.get("actual"),
        diff=str(data.get("diff") or ""),
    )


def check_result(data: dict[str, Any]) -> p.CheckResultInfo:
    first = data.get("divergence")
    return p.CheckResultInfo(
        golden=str(data["golden"]),
        golden_execution_id=str(data["golden_execution_id"]),
        execution_id=str(data["execution_id"]),
        passed=bool(data["passed"]),
        checkpoints_compared=int(data.get("checkpoints_compared") or 0),
        divergence=_divergence(first) if isinstance(first, dict) else None,
        differences=[_divergence(d) for d in data.get("differences") or [] if isinstance(d, dict)],
        report=str(data.get("report") or ""),
    )


@request(p.CHECK)
async def check(ls: WtbLanguageServer, params: p.CheckParams) -> p.CheckResultInfo:
    name = params.golden or params.workflow
    if not name:
        raise errors.InvalidArgumentError("wtb/check needs a workflow or a golden name.")
    goldens = {g.name for g in await ls.bench_host.call(lambda bench: bench.list_goldens(None))}
    if name not in goldens:
        raise errors.NotFoundError(f"No golden named {name!r}: mark a completed execution as golden first.")
    args = ["--check", name]
    if params.initial_state is not None:
        args += ["--initial-state", json.dumps(params.initial_state)]
    rules: dict[str, Any] = {}
    if params.ignore_keys:
        rules["ignore_keys"] = list(params.ignore_keys)
    if params.ignore_paths:
        rules["ignore_paths"] = list(params.ignore_paths)
    if params.rel_tolerance:
        rules["rel_tolerance"] = params.rel_tolerance
    if params.abs_tolerance:
        rules["abs_tolerance"] = params.abs_tolerance
    if rules:
        args += ["--rules", json.dumps(rules)]
    args += ["--file-tracking", json.dumps(ls.file_tracking_fields(watch=False))]
    token = await obtain_token(ls, params.work_done_token)
    progress = RunProgress(ls, token, f"Check against golden {name}") if token is not None else None
    if progress is not None:
        progress.begin("running the workflow again")
    try:
        data = await oneshot.call(ls, args, "check", f"Checking against golden {name!r}", CHECK_TIMEOUT_S)
    except BaseException:
        if progress is not None:
            progress.end("check failed")
        raise
    result = check_result(data)
    if progress is not None:
        progress.end("passed" if result.passed else "diverged")
    with contextlib.suppress(errors.WTBError):
        checked = await ls.bench_host.call(lambda bench: bench.get_execution(result.execution_id))
        ls.notify_execution(records.execution(checked))
    return result


@request(p.PRUNE)
async def prune(ls: WtbLanguageServer, params: p.PruneParams) -> p.PruneResult:
    if params.keep_last is None and params.older_than_s is None and params.max_storage is None:
        raise errors.InvalidArgumentError("wtb/prune needs keepLast, olderThanS or maxStorage.")
    if params.keep_last is not None and params.keep_last < 0:
        raise errors.InvalidArgumentError("keepLast must be 0 or more.")
    if ls.runs.runs:
        raise errors.BusyError("Executions are running; prune when they have ended.")
    report = await ls.bench_host.call(
        lambda bench: bench.prune(
            keep_last=params.keep_last,
            older_than=params.older_than_s,
            keep_golden=params.keep_golden,
            keep_forks_of_kept=params.keep_forks_of_kept,
            max_storage=params.max_storage,
        )
    )
    return p.PruneResult(
        deleted=[str(x) for x in report.deleted],
        kept=int(report.kept),
        blobs_removed=int(report.blobs_removed),
        bytes_freed=int(report.bytes_freed),
    )
