"""One-shot worker calls: SDK actions that import workflow code, run in a child process.

Importing a workflow's module runs its code; a module that calls ``os._exit``, crashes or
blocks at import must not take the daemon with it. ``get_graph`` and a fork with state
edits (which compiles the graph) therefore go through ``python -m wtb.worker`` too, in
its one-shot modes, and come back as one JSON event.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wtb import errors

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer

ONESHOT_TIMEOUT_S = 120.0


def package_root() -> Path:
    """The directory that holds the ``wtb`` package (put on the worker's PYTHONPATH)."""
    import wtb

    return Path(wtb.__file__).resolve().parent.parent


def worker_argv(ls: WtbLanguageServer, *args: str) -> list[str]:
    host = ls.bench_host
    return [
        ls.options.python or sys.executable,
        "-m",
        "wtb.worker",
        "--workspace",
        str(host.workspace),
        "--data-dir",
        str(host.data_dir),
        *args,
    ]


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root()), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    return env


async def call(ls: WtbLanguageServer, args: list[str], expect: str, what: str) -> Any:
    """Run the worker with ``args``; return the payload of its ``expect`` event or raise its error."""
    host = ls.bench_host
    process = await asyncio.create_subprocess_exec(
        *worker_argv(ls, *args),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(host.workspace),
        env=worker_env(),
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), ONESHOT_TIMEOUT_S)
    except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
        process.kill()
        await process.wait()
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise errors.WorkflowLoadError(
            f"{what} did not finish within {ONESHOT_TIMEOUT_S:g} s (does importing the workflow file block?)."
        ) from None
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
    cls = getattr(errors, str(error.get("type")), None)
    message = str(error.get("message") or "")
    if isinstance(cls, type) and issubclass(cls, errors.WTBError):
        return cls(message)
    return errors.WTBError(f"{error.get('type')}: {message}")
