"""The daemon: one pygls language server hosting one bench for the open workspace.

Modelled on pygls' example servers: one server object, handlers registered on it with
decorators (``wtb/*`` requests in :mod:`wtb.lsp.handlers`, CodeLens and commands here),
command names as constants on the class. Start-up stays light: LangGraph and Ray are
only imported by the bench, which opens in a thread after ``initialized``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, default_converter

from wtb import __version__
from wtb.lsp import protocol as p
from wtb.lsp.bench import BenchHost
from wtb.lsp.diagnostics import LoadDiagnostics
from wtb.lsp.errors import WorkspaceUntrustedError
from wtb.lsp.framing import MAX_ERROR_CHARS, clip
from wtb.lsp.runs import RunManager
from wtb.lsp.uris import uri_to_path
from wtb.lsp.workers import WorkerPool, kill

logger = logging.getLogger(__name__)


@attrs.define
class WtbRequestMessage:
    """A ``wtb/*`` request whose params stay plain JSON until the handler structures them."""

    id: int | str
    method: str
    jsonrpc: str
    params: Any = None


class WtbProtocol(LanguageServerProtocol):
    """LSP plus ``wtb/*``: our requests keep raw params so that bad ones get a precise error."""

    def get_message_type(self, method: str) -> type[Any] | None:  # type: ignore[override]
        if method in p.REQUESTS:
            return WtbRequestMessage
        return super().get_message_type(method)  # type: ignore[no-any-return]


def wtb_converter() -> Any:
    converter = default_converter()  # type: ignore[no-untyped-call]

    def structure_request(obj: dict[str, Any], _: type[Any]) -> WtbRequestMessage:
        return WtbRequestMessage(id=obj["id"], method=obj["method"], jsonrpc=obj["jsonrpc"], params=obj.get("params"))

    converter.register_structure_hook(WtbRequestMessage, structure_request)
    return converter


class WtbLanguageServer(LanguageServer):
    """The WTB daemon."""

    CMD_RUN = p.CMD_RUN
    CMD_FORK = p.CMD_FORK
    CMD_BATCH = p.CMD_BATCH
    CMD_HISTORY = p.CMD_HISTORY

    def __init__(self) -> None:
        super().__init__("wtb", __version__, protocol_cls=WtbProtocol, converter_factory=wtb_converter)
        self.options = p.InitializationOptions()
        self.workspace_root: Path | None = None
        self.bench_host = BenchHost()
        self.bench_host.opener = self.open_bench
        self.bench_host.on_reopen = self._warn
        self.runs = RunManager(self)
        self.load_diagnostics = LoadDiagnostics(self)
        self.workers = WorkerPool(self)
        self.batch_processes: set[asyncio.subprocess.Process] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.broken_framing: str | None = None  # why the stdio loop closed the connection, if it did

    # -- set-up ---------------------------------------------------------------------
    def configure(self, params: types.InitializeParams) -> None:
        """Read ``initializationOptions`` and the workspace root (no I/O beyond that)."""
        self.options = p.from_wire(p.InitializationOptions, params.initialization_options, method="initialize")
        root = None
        if params.root_uri:
            root = uri_to_path(params.root_uri)
        elif params.workspace_folders:
            root = uri_to_path(params.workspace_folders[0].uri)
        elif params.root_path:
            root = Path(params.root_path)
        self.workspace_root = root.resolve() if root else None

    @property
    def data_dir(self) -> Path | None:
        if self.workspace_root is None:
            return None
        if self.options.data_dir:
            given = Path(self.options.data_dir).expanduser()
            return given if given.is_absolute() else self.workspace_root / given
        return self.workspace_root / ".wtb"

    def file_tracking_fields(self, *, watch: bool | None = None) -> dict[str, Any]:
        """The ``fileTracking`` option as ``FileTrackingConfig`` keyword arguments (unset ones left out)."""
        ft = self.options.file_tracking
        if ft is None:
            return {} if watch is None else {"watch": watch}
        fields: dict[str, Any] = {"enabled": ft.enabled, "watch": ft.watch if watch is None else watch}
        if ft.paths is not None:
            fields["paths"] = tuple(ft.paths)
        if ft.ignore is not None:
            fields["ignore"] = tuple(ft.ignore)
        if ft.max_file_size is not None:
            fields["max_file_size"] = ft.max_file_size
        return fields

    def open_bench(self) -> None:
        """Start opening the bench in the background (after ``initialized``, or on first need)."""
        if self.workspace_root is None or self.data_dir is None:
            return
        self._loop = asyncio.get_running_loop()
        file_tracking = None
        if self.options.file_tracking is not None:
            from wtb.config import FileTrackingConfig

            file_tracking = FileTrackingConfig(**self.file_tracking_fields())
        self.bench_host.open(self.workspace_root, self.data_dir, file_tracking, trusted=self.options.trusted)
        self.bench_host.when_open(self.workers.prepare)
        if not self.options.trusted:
            self.bench_host.when_open(self._report_pending_rollbacks)

    def _report_pending_rollbacks(self) -> None:
        """An untrusted workspace's daemon leaves a half-done rollback alone and says so."""
        bench = self.bench_host.bench
        pending = bench.pending_rollbacks() if bench is not None else []
        if pending:
            text = (
                f"A rollback of execution {', '.join(pending)} was interrupted; WTB finishes it (rewriting "
                "workspace files) once the workspace is trusted."
            )
            logger.warning(text)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=text))

    def _warn(self, text: str) -> None:
        self._call_on_loop(
            lambda: self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=text))
        )

    def require_trust(self, what: str) -> None:
        if not self.options.trusted:
            raise WorkspaceUntrustedError(
                f"{what} is disabled: this workspace is not trusted. Trust the workspace "
                "(VS Code: 'Manage Workspace Trust') to run workflows or change its files."
            )

    # -- to the client ----------------------------------------------------------------
    def log(self, message: str, level: types.MessageType = types.MessageType.Info) -> None:
        logger.log(_LOG_LEVELS.get(level, logging.INFO), "%s", message)
        if self._stopping:
            return
        self._call_on_loop(lambda: self.window_log_message(types.LogMessageParams(type=level, message=message)))

    def notify_execution(self, execution: p.ExecutionInfo) -> None:
        params = p.to_wire(p.ExecutionChangedParams(execution=execution))
        self._call_on_loop(lambda: self.protocol.notify(p.EXECUTION_CHANGED, params))

    def notify_checkpoint(self, checkpoint: p.CheckpointInfo) -> None:
        params = p.to_wire(p.CheckpointAddedParams(execution_id=checkpoint.execution_id, checkpoint=checkpoint))
        self._call_on_loop(lambda: self.protocol.notify(p.CHECKPOINT_ADDED, params))

    def _call_on_loop(self, fn: Any) -> None:
        """Messages are written from the event loop only (the writer is not thread-safe)."""
        loop = self._loop

        def send() -> None:
            try:
                fn()
            except (BrokenPipeError, ConnectionResetError, ValueError):  # the editor is gone
                logger.info("could not write to the client; it has gone away")

        if loop is None or _on_loop(loop):
            send()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(send)

    # -- serving ------------------------------------------------------------------------
    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """The stdio loop, plus a clean stop of every run when the editor goes away.

        The loop is :class:`wtb.lsp.framing.MessageLoop` rather than pygls' own: broken
        framing ends it (:attr:`broken_framing` says why, and the daemon exits with
        status 1), and oversized ids are answered without being echoed.

        When stdin closes (the editor died) the loop simply ends and asyncio would cancel
        the tasks following our workers; we stop the runs first, while the loop still runs,
        so each is recorded ``cancelled`` with its checkpoints kept.
        """
        from pygls.io_ import StdoutWriter

        from wtb.lsp.framing import BoundedStdinReader, MessageLoop

        self._stop_event = threading.Event()
        reader = BoundedStdinReader(stdin or sys.stdin.buffer, self.thread_pool)
        writer = StdoutWriter(stdout or sys.stdout.buffer)
        self.protocol.set_writer(writer)
        loop = MessageLoop(reader, self.protocol, writer.write, self._stop_event, logger, self.report_server_error)

        async def serve() -> None:
            try:
                await loop.run()
            finally:
                await self.stop_runs()

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            logger.error("Connection to the client is lost! Shutting down the server.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.broken_framing = loop.broken
            if loop.broken is not None:
                print(f"wtb daemon: closing the connection: {loop.broken}", file=sys.stderr, flush=True)
            self.shutdown()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls' report (a ``window/showMessage`` for errors outside a request), clipped:
        an error that quotes a huge parameter is not sent back whole."""
        text = str(error)
        if len(text) > MAX_ERROR_CHARS:
            error = RuntimeError(clip(text))
        super().report_server_error(error, source)

    # -- tear-down --------------------------------------------------------------------
    async def stop_runs(self) -> None:
        """Cancel every run (recorded ``cancelled``, checkpoints kept) and the standby worker."""
        try:
            await asyncio.wait_for(self.workers.aclose(), 10)
            await asyncio.wait_for(self.runs.shutdown(), 30)
            from wtb.lsp import batches

            await asyncio.wait_for(batches.stop_all(self), 30)
        except (TimeoutError, Exception):
            logger.exception("stopping the runs did not finish cleanly")
        self._stopping = True

    def shutdown(self) -> None:  # type: ignore[no-untyped-def]
        """Called by pygls when the message loop ends (``exit`` or stdin closed)."""
        self._stopping = True
        self.workers.close()
        for process in list(self.batch_processes):
            kill(process)
        self.runs.abandon_all(self.bench_host.bench)
        self.bench_host.close()
        super().shutdown()  # type: ignore[no-untyped-call]


_LOG_LEVELS = {
    types.MessageType.Error: logging.ERROR,
    types.MessageType.Warning: logging.WARNING,
    types.MessageType.Info: logging.INFO,
    types.MessageType.Log: logging.DEBUG,
}


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
