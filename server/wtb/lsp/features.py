"""Standard LSP features of the daemon: life cycle, CodeLens, commands.

``initialize`` only reads options; the bench opens after ``initialized`` (in a thread),
so the editor gets its answer before LangGraph is even imported. The commands
(``wtb.run`` …) are the same actions as the ``wtb/*`` requests, with the workflow name
first, so a CodeLens click needs nothing from the extension but ``executeCommand``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from wtb.lsp import codelens, graphs, handlers
from wtb.lsp import protocol as p
from wtb.lsp.errors import to_jsonrpc
from wtb.lsp.server import WtbLanguageServer
from wtb.lsp.uris import reference_file, relative, uri_to_path

logger = logging.getLogger(__name__)

WORKFLOW_FILES = ("langgraph.json", "pyproject.toml")


def register(server: WtbLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: WtbLanguageServer, params: types.InitializeParams) -> None:
        try:
            ls.configure(params)
        except Exception as exc:
            raise to_jsonrpc(exc) from exc

    @server.feature(types.INITIALIZED)
    def initialized(ls: WtbLanguageServer, params: types.InitializedParams) -> None:
        ls.open_bench()
        if ls.workspace_root is None:
            ls.log("WTB: no workspace folder is open; wtb/* requests will fail.", types.MessageType.Warning)
        else:
            ls.log(f"WTB daemon {ls.version} serving {ls.workspace_root} (data: {ls.data_dir})")
        _watch_workflow_files(ls)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: WtbLanguageServer, params: Any) -> None:
        await ls.stop_runs()
        ls.bench_host.close()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_LENS,
        types.CodeLensOptions(resolve_provider=True),
    )
    async def code_lens(ls: WtbLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        try:
            return await _code_lenses(ls, params.text_document.uri)
        except Exception as exc:
            raise to_jsonrpc(exc) from exc

    @server.feature(types.CODE_LENS_RESOLVE)
    async def code_lens_resolve(ls: WtbLanguageServer, lens: types.CodeLens) -> types.CodeLens:
        data = lens.data if isinstance(lens.data, dict) else {}
        count = None
        if data.get("kind") == "history":
            try:
                count = await handlers.run_count(ls, str(data.get("workflow", "")))
            except Exception as exc:  # a lens must not fail because the bench is not ready
                logger.debug("run count unavailable: %s", exc)
        return codelens.resolve(lens, count)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files(ls: WtbLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.endswith(WORKFLOW_FILES) for change in params.changes):
            await workflows_changed(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: WtbLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri.endswith(WORKFLOW_FILES):
            await workflows_changed(ls)
        await _recheck_load_problems(ls, params.text_document.uri)

    @server.command(WtbLanguageServer.CMD_RUN)
    async def cmd_run(ls: WtbLanguageServer, *args: Any) -> Any:
        workflow, options = _command_args(WtbLanguageServer.CMD_RUN, args)
        return await handlers.call(ls, p.RUN, {**options, "workflow": workflow})

    @server.command(WtbLanguageServer.CMD_FORK)
    async def cmd_fork(ls: WtbLanguageServer, *args: Any) -> Any:
        workflow, options = _command_args(WtbLanguageServer.CMD_FORK, args)
        if not options.get("executionId"):
            options["executionId"] = await handlers.latest_execution(ls, workflow)
        return await handlers.call(ls, p.FORK, options)

    @server.command(WtbLanguageServer.CMD_BATCH)
    async def cmd_batch(ls: WtbLanguageServer, *args: Any) -> Any:
        workflow, options = _command_args(WtbLanguageServer.CMD_BATCH, args)
        return await handlers.call(ls, p.BATCH, {**options, "workflow": workflow})

    @server.command(WtbLanguageServer.CMD_HISTORY)
    async def cmd_history(ls: WtbLanguageServer, *args: Any) -> Any:
        workflow, _ = _command_args(WtbLanguageServer.CMD_HISTORY, args)
        return await handlers.history(ls, workflow)


def _command_args(command: str, args: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    from wtb.errors import InvalidArgumentError

    try:
        if not args or not isinstance(args[0], str) or not args[0]:
            raise InvalidArgumentError(f"{command} needs the workflow name as its first argument.")
        options = args[1] if len(args) > 1 else {}
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise InvalidArgumentError(f"{command}: the second argument must be an options object.")
        return args[0], dict(options)
    except Exception as exc:
        raise to_jsonrpc(exc) from exc


async def _code_lenses(ls: WtbLanguageServer, uri: str) -> list[types.CodeLens]:
    path = uri_to_path(uri)
    root = ls.workspace_root
    if path is None or root is None or path.suffix != ".py":
        return []
    relpath = relative(path, root)
    projects = await handlers.workflow_refs(ls)
    declared: dict[str, str] = {}
    for name, ref in projects.items():
        file = reference_file(ref, root)
        if file is not None and _same_file(file, path):
            declared[name] = ref.rpartition(":")[2]
    source = ls.workspace.get_text_document(uri).source
    return codelens.lenses(codelens.find_definitions(source, declared, relpath), uri)


async def _recheck_load_problems(ls: WtbLanguageServer, uri: str) -> None:
    """A saved file with a load diagnostic: describe its workflows again (publishes or clears it)."""
    path = uri_to_path(uri)
    if path is None or not ls.options.trusted:  # describing imports the workflow's code
        return
    for workflow in ls.load_diagnostics.workflows_in(path):
        try:
            await graphs.describe(ls, workflow)
        except Exception as exc:  # still broken: the diagnostic says why
            logger.debug("workflow %s still does not load: %s", workflow, exc)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


async def workflows_changed(ls: WtbLanguageServer) -> None:
    """Tell the client the workflow list changed; refresh lenses if it can."""
    from wtb.lsp import graphs

    graphs.forget()
    try:
        result = await handlers.call(ls, p.LIST_WORKFLOWS, {})
    except Exception as exc:
        logger.info("workflow list unavailable: %s", exc)
        return
    ls.protocol.notify(p.WORKFLOWS_CHANGED, result)
    workspace_caps = getattr(ls.client_capabilities, "workspace", None)
    code_lens_caps = getattr(workspace_caps, "code_lens", None)
    if code_lens_caps is not None and code_lens_caps.refresh_support:
        ls.workspace_code_lens_refresh(None)


def _watch_workflow_files(ls: WtbLanguageServer) -> None:
    """Ask the client to tell us when langgraph.json / pyproject.toml change (if it can)."""
    workspace_caps = getattr(ls.client_capabilities, "workspace", None)
    watched = getattr(workspace_caps, "did_change_watched_files", None)
    if not (watched and watched.dynamic_registration):
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in WORKFLOW_FILES]
    )
    registration = types.Registration(
        id="wtb-workflow-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
    )
    ls.client_register_capability(types.RegistrationParams(registrations=[registration]))
