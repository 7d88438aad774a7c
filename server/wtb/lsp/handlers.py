"""Dispatch of the ``wtb/*`` requests: trust, params, errors — in one place.

Every request goes through :func:`call`, which checks workspace trust, turns raw params
into the typed record of ``protocol.REQUESTS``, runs the handler registered for the
method (``wtb.lsp.queries``, ``wtb.lsp.actions``) and maps any error to JSON-RPC
(``wtb.lsp.errors``). Handlers never make up a result: a missing engine part answers
``NotAvailable``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from wtb import errors
from wtb.lsp import actions, goldens, queries
from wtb.lsp import protocol as p
from wtb.lsp.errors import to_jsonrpc
from wtb.lsp.registry import HANDLERS
from wtb.lsp.server import WtbLanguageServer

__all__ = ["actions", "call", "goldens", "history", "latest_execution", "queries", "register", "run_count"]


def register(server: WtbLanguageServer) -> None:
    """Register one pygls feature per ``protocol.REQUESTS`` entry."""
    missing = set(p.REQUESTS) - set(HANDLERS)
    if missing:
        raise RuntimeError(f"no handler for {sorted(missing)}")
    for method in p.REQUESTS:
        server.feature(method)(_feature(method))


def _feature(method: str) -> Callable[[WtbLanguageServer, Any], Awaitable[Any]]:
    async def feature(ls: WtbLanguageServer, params: Any) -> Any:
        return await call(ls, method, params)

    feature.__name__ = "wtb_" + method.split("/", 1)[1]
    return feature


async def call(ls: WtbLanguageServer, method: str, raw: Any) -> Any:
    """Run one ``wtb/*`` request from raw params to a JSON-ready result (or a JSON-RPC error)."""
    params_type, _ = p.REQUESTS[method]
    try:
        if method in p.TRUST_REQUIRED:
            ls.require_trust(method)
        params = p.from_wire(params_type, raw, method=method)
        return p.to_wire(await HANDLERS[method](ls, params))
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        raise to_jsonrpc(exc) from exc


async def workflow_refs(ls: WtbLanguageServer) -> dict[str, str]:
    return await queries.workflow_refs(ls)


async def run_count(ls: WtbLanguageServer, workflow: str) -> int:
    return await queries.run_count(ls, workflow)


async def history(ls: WtbLanguageServer, workflow: str) -> Any:
    """``wtb.history``: the workflow's executions, newest first."""
    found = await call(ls, p.LIST_EXECUTIONS, {"workflow": workflow, "limit": 100})
    return {"workflow": workflow, "executions": found["executions"]}


async def latest_execution(ls: WtbLanguageServer, workflow: str) -> str:
    """The newest execution of a workflow (what ``wtb.fork`` forks when not told)."""
    try:
        found = await ls.bench_host.call(lambda bench: bench.list_executions(project=workflow, limit=1))
        if not found:
            await queries.ensure_project(ls, workflow)
            raise errors.InvalidStateError(f"Workflow {workflow!r} has no execution to fork yet: run it first.")
    except Exception as exc:
        raise to_jsonrpc(exc) from exc
    return str(found[0].id)
