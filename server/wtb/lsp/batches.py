"""``wtb/batch``: a batch driven by a worker process, followed until it ends.

The batch driver (``bench.run_batch``: Ray actors, or in-process with ``backend:
"local"``) runs in ``python -m wtb.worker --batch``, so neither Ray's start-up nor the
workflow's code shares the daemon's process. Its progress events become ``$/progress``
reports and, for each variant that starts or ends, ``wtb/executionChanged``. Cancelling
the request (or its progress) sends the worker SIGTERM, which the driver turns into a
clean stop: running variants are recorded ``cancelled``, finished ones kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import signal
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from wtb import errors
from wtb.lsp import protocol as p
from wtb.lsp import records
from wtb.lsp.errors import not_available
from wtb.lsp.oneshot import as_wtb_error
from wtb.lsp.progress import RunProgress, obtain_token
from wtb.lsp.workers import REFILL_DELAY_S, kill
from wtb.models import Execution

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer

TERM_GRACE_S = 10.0  # a Ray batch needs a moment to stop its actors


def available() -> bool:
    """Batches need Ray (``wtb[batch]``), which is looked up, not imported (that costs a second)."""
    return importlib.util.find_spec("ray") is not None


def _variant(v: p.BatchVariant) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if v.name is not None:
        out["name"] = v.name
    for key, value in (
        ("initial_state", v.initial_state),
        ("config", v.config),
        ("state_updates", v.state_updates),
        ("node_overrides", v.node_overrides),
    ):
        if value is not None:
            out[key] = value
    return out


async def run(ls: WtbLanguageServer, params: p.BatchParams) -> p.BatchResult:
    if not available():
        raise not_available("Batch runs (wtb/batch: Ray is not installed; pip install 'wtb[batch]')")
    if not params.variants:
        raise errors.InvalidArgumentError("wtb/batch: variants must list at least one variant.")
    if params.max_parallel is not None and params.max_parallel < 1:
        raise errors.InvalidArgumentError("wtb/batch: maxParallel must be at least 1.")
    args = ["--batch", params.workflow, "--variants", json.dumps([_variant(v) for v in params.variants])]
    if params.from_checkpoint is not None:
        ref = params.from_checkpoint
        await ls.bench_host.call(lambda bench: bench.get_execution(ref.execution_id))  # NotFound before spawning
        args += [
            "--from-checkpoint",
            json.dumps({"execution_id": ref.execution_id, "checkpoint_id": ref.checkpoint_id}),
        ]
    if params.max_parallel is not None:
        args += ["--max-parallel", str(params.max_parallel)]
    if params.backend is not None:
        args += ["--backend", params.backend]
    args += ["--file-tracking", json.dumps(ls.file_tracking_fields(watch=False))]

    token = await obtain_token(ls, params.work_done_token)
    progress = RunProgress(ls, token, f"Batch of {params.workflow}") if token is not None else None
    process = await ls.workers.start(args)
    ls.batch_processes.add(process)
    if progress is not None:
        progress.begin(f"{len(params.variants)} variants", on_cancel=lambda: kill(process, signal.SIGTERM))
    outcome = "failed"
    try:
        result = await _follow(ls, process, progress)
        outcome = str(result.get("status", "completed"))
        return await _result(ls, result)
    except asyncio.CancelledError:
        outcome = "cancelled"
        await asyncio.shield(_stop(process))
        raise
    finally:
        ls.batch_processes.discard(process)
        if progress is not None:
            progress.end(outcome)
        ls.workers.prepare(REFILL_DELAY_S)


async def _follow(ls: WtbLanguageServer, process: asyncio.subprocess.Process, progress: RunProgress | None) -> Any:
    assert process.stdout is not None and process.stderr is not None
    result: Any = None
    error: dict[str, Any] | None = None
    stderr = asyncio.ensure_future(process.stderr.read())
    while line := await process.stdout.readline():
        try:
            event = json.loads(line)
        except ValueError:
            ls.log(f"[batch] {line.decode('utf-8', 'replace').rstrip()}", types.MessageType.Log)
            continue
        kind = event.get("type")
        if kind == "batch_progress":
            info = event.get("event") or {}
            if progress is not None:
                progress.report(str(info.get("message") or f"{info.get('done', 0)}/{info.get('total', '?')}"))
            if info.get("execution_id"):
                await _announce(ls, str(info["execution_id"]))
        elif kind == "batch":
            result = event["batch"]
        elif kind == "error":
            error = event.get("error") or {}
    await process.wait()
    tail = (await stderr).decode("utf-8", "replace").strip()
    if tail:
        ls.log(f"[batch] {tail[-4000:]}", types.MessageType.Log)
    if result is not None:
        return result
    if error is not None:
        raise as_wtb_error(error)
    raise errors.WTBError(f"The batch worker exited with code {process.returncode} before the batch finished.")


async def _execution(ls: WtbLanguageServer, execution_id: str) -> Execution:
    return await ls.bench_host.call(lambda bench: bench.get_execution(execution_id))


async def _announce(ls: WtbLanguageServer, execution_id: str) -> None:
    with contextlib.suppress(errors.WTBError):
        ls.notify_execution(records.execution(await _execution(ls, execution_id)))


async def _result(ls: WtbLanguageServer, result: dict[str, Any]) -> p.BatchResult:
    executions = []
    for variant in result.get("variants") or []:
        execution_id = variant.get("execution_id")
        if execution_id:
            info = records.execution(await _execution(ls, str(execution_id)))
            ls.notify_execution(info)
            executions.append(info)
    return p.BatchResult(
        batch_id=str(result.get("batch_id", "")),
        status=str(result.get("status", "")),
        executions=executions,
        summary=result,
    )


async def _stop(process: asyncio.subprocess.Process) -> None:
    kill(process, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), TERM_GRACE_S)
    except TimeoutError:
        kill(process)
        await process.wait()


async def stop_all(ls: WtbLanguageServer) -> None:
    await asyncio.gather(*(_stop(proc) for proc in list(ls.batch_processes)), return_exceptions=True)
