"""End-to-end fixtures: the real daemon (``python -m wtb.lsp``) driven by a pytest-lsp client.

``start_daemon(workspace, **options)`` spawns the daemon on a workspace, initializes it
and returns a :class:`Daemon` that records every ``wtb/*`` notification, progress and log
message. Everything is torn down at the end of the test (shutdown + exit, then a kill if
the daemon did not go).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.protocol import JsonRPCNotification, JsonRPCResponseMessage, default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

REPO = Path(__file__).resolve().parents[2]
PYTHON_M_WTB_LSP = [sys.executable, "-m", "wtb.lsp"]
_WTB_SCRIPT = Path(sys.executable).with_name("wtb")
#: the console command the editor spawns (``wtb serve``), when installed
WTB_SERVE = [str(_WTB_SCRIPT), "serve"] if _WTB_SCRIPT.is_file() else None
#: ``wtb serve`` does not pass options through to the daemon yet (cli.py), so most tests
#: spawn ``python -m wtb.lsp --log-file …``; one test spawns the console command itself.
SERVER_COMMAND = PYTHON_M_WTB_LSP
WAIT_S = 60.0  # generous upper bound for anything to happen; never a timing assertion

WTB_NOTIFICATIONS = ("wtb/executionChanged", "wtb/checkpointAdded", "wtb/workflowsChanged")


def raw_converter() -> Any:
    """pygls' converter, but custom results and notifications stay plain JSON (no namedtuples)."""
    converter = default_converter()
    converter.register_structure_hook(JsonRPCResponseMessage, lambda obj, cls: cls(**obj))
    converter.register_structure_hook(JsonRPCNotification, lambda obj, cls: cls(**obj))
    return converter


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "server"), env.get("PYTHONPATH")]))
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    return env


class Daemon:
    """A running daemon and what it has told us."""

    def __init__(self, client: LanguageClient, workspace: Path) -> None:
        self.client = client
        self.workspace = workspace
        self.notifications: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        self.init_result: types.InitializeResult | None = None
        self.registrations: list[Any] = []
        for method in WTB_NOTIFICATIONS:
            client.feature(method)(self._recorder(method))

        def register(params: Any) -> None:
            self.registrations.append(params)

        def refresh(params: Any) -> None:
            self.lens_refreshes += 1

        self.lens_refreshes = 0
        client.feature(types.CLIENT_REGISTER_CAPABILITY)(register)
        client.feature(types.WORKSPACE_CODE_LENS_REFRESH)(refresh)

    def _recorder(self, method: str) -> Callable[[Any], None]:
        def record(params: Any) -> None:
            self.notifications.append((method, params))
            self._changed.set()

        return record

    async def request(self, method: str, params: Any = None) -> Any:
        return await asyncio.wait_for(self.client.protocol.send_request_async(method, params), WAIT_S)

    async def command(self, command: str, *arguments: Any) -> Any:
        params = types.ExecuteCommandParams(command=command, arguments=list(arguments))
        return await asyncio.wait_for(self.client.workspace_execute_command_async(params), WAIT_S)

    def of(self, method: str, execution_id: str | None = None) -> list[Any]:
        out = []
        for name, params in self.notifications:
            if name != method:
                continue
            eid = params.get("executionId") or params.get("execution", {}).get("id")
            if execution_id is None or eid == execution_id:
                out.append(params)
        return out

    async def wait_until(self, predicate: Callable[[], Any], what: str) -> Any:
        async def loop() -> Any:
            while not (result := predicate()):
                self._changed.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.5)
            return result

        try:
            return await asyncio.wait_for(loop(), WAIT_S)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}; got {self.notifications[-5:]}") from None

    async def wait_final(
        self, execution_id: str, statuses: tuple[str, ...] = ("completed", "failed", "cancelled", "paused")
    ) -> dict[str, Any]:
        """The first ``wtb/executionChanged`` with one of ``statuses`` for this execution."""

        def final() -> Any:
            for params in self.of("wtb/executionChanged", execution_id):
                if params["execution"]["status"] in statuses:
                    return params["execution"]
            return None

        result: dict[str, Any] = await self.wait_until(final, f"execution {execution_id} to end")
        return result

    def progress(self, token: Any) -> list[Any]:
        return list(self.client.progress_reports.get(token, []))

    @property
    def log_text(self) -> str:
        return "\n".join(m.message for m in self.client.log_messages)


async def _stop(client: LanguageClient) -> None:
    server = client._server
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.shutdown_session(), 20)
    if server is not None and server.returncode is None:
        if server.stdin is not None:
            server.stdin.close()
        try:
            await asyncio.wait_for(server.wait(), 10)
        except TimeoutError:
            server.kill()
            await server.wait()
    client._stop_event.set()
    for task in list(client._async_tasks):
        task.cancel()


StartDaemon = Callable[..., Awaitable[Daemon]]


@pytest_asyncio.fixture
async def start_daemon(tmp_path: Path) -> AsyncIterator[StartDaemon]:
    clients: list[LanguageClient] = []

    async def start(
        workspace: Path,
        *,
        capabilities: str = "visual-studio-code",
        command: list[str] | None = None,
        **options: Any,
    ) -> Daemon:
        client = make_test_lsp_client()
        client.protocol._converter = raw_converter()
        log_file = tmp_path / f"daemon-{len(clients)}.log"
        argv = command or [*SERVER_COMMAND, "--log-file", str(log_file)]
        await client.start_io(*argv, env=server_env())
        clients.append(client)
        daemon = Daemon(client, workspace)
        daemon.init_result = await asyncio.wait_for(
            client.initialize_session(
                types.InitializeParams(
                    capabilities=client_capabilities(capabilities),
                    root_uri=workspace.as_uri(),
                    workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
                    initialization_options=options or None,
                )
            ),
            WAIT_S,
        )
        return daemon

    yield start
    for client in clients:
        await _stop(client)


@pytest.fixture
def no_tracking() -> dict[str, Any]:
    """initializationOptions for tests that do not need workspace files recorded."""
    return {"fileTracking": {"enabled": False}}


@pytest.fixture
def flows_ws(make_workspace: Callable[..., Path]) -> Path:
    """A workspace whose workflows raise, exit, segfault, hang, print or tick for a long time."""
    from tests.lsp.flows import FLOWS, GRAPHS, UNDECLARED

    return make_workspace({"flows.py": FLOWS, "undeclared.py": UNDECLARED}, GRAPHS, name="flows_ws")


@pytest.fixture
def requires_filetrack() -> None:
    """File tracking (the CAS and snapshots) is another issue; skip, loudly, until it has landed."""
    try:
        from wtb.filetrack import SqliteFileTrackingService  # noqa: F401
    except ImportError:
        pytest.skip("wtb.filetrack.SqliteFileTrackingService has not landed yet")
