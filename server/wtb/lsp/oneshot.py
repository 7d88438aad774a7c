"""One-shot worker calls: SDK actions that import workflow code, run in a child process.

Importing a workflow's module runs its code; a module that calls ``os._exit``, crashes or
blocks at import must not take the daemon with it. ``get_graph`` and a fork with state
edits (which compiles the graph) therefore go through ``python -m wtb.worker`` too, in
its one-shot modes, and come back as one JSON event.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from wtb import errors
from wtb.lsp.workers import REFILL_DELAY_S, kill

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer

ONESHOT_TIMEOUT_S = 120.0


async def call(
    ls: WtbLanguageServer, args: list[str], expect: str, what: str, timeout_s: float | None = ONESHOT_TIMEOUT_S
) -> Any:
    """Run the worker with ``args``; return the payload of its ``expect`` event or raise its error."""
    process = await ls.workers.start(args)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except (TimeoutError, asyncio.CancelledError) as exc:
        kill(process)
        await process.wait()
        if isinstance(exc, asyncio.CancelledError):
            raise
        ls.workers.prepare(REFILL_DELAY_S)
        raise errors.WorkflowLoadError(
            f"{what} did not finish within {timeout_s:g} s (does importing the workflow file block?)."
        ) from None
    ls.workers.prepare(REFILL_DELAY_S)
    for line in out.decode("utf-8", "replace").splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("type") == expect:
            return event[expect]
        if event.get("type") == "error":
            raise as_wtb_error(event.get("error") or {})
    tail = " | ".join(err.decode("utf-8", "replace").strip().splitlines()[-5:])
    raise errors.WorkflowLoadError(
        f"{what} failed: the worker process exited with code {process.returncode}. {tail}".strip()
    )


def as_wtb_error(error: dict[str, Any]) -> errors.WTBError:
    """The worker's error as the same WTB error class, so it maps to the same JSON-RPC code."""
    cls = getattr(errors, str(error.get("type")), None) or getattr(errors, str(error.get("known_type")), None)
    message = str(error.get("message") or "")
    if isinstance(cls, type) and issubclass(cls, errors.WTBError):
        return cls(message)
    return errors.WTBError(f"{error.get('type')}: {message}")
