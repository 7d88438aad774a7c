"""Turn a workflow reference (``"path/file.py:attr"`` or ``"package.module:attr"``) into a LangGraph graph.

The reference follows the LangGraph CLI's ``langgraph.json`` convention. A module name
stands for its file under the workspace (or its ``src/`` folder), found without importing
anything, so the daemon can show it too. The file is
imported by path under a private module name with the workspace on ``sys.path`` (so the
workflow can import its sibling modules); a module is re-imported when its file changes,
so an edited workflow runs as edited. So is every workflow once a workspace module they
imported (``tools.py`` beside ``graph.py``) changed: those modules are dropped from
``sys.modules`` and imported afresh with it, as ``langgraph dev`` restarts on any change
(a notebook or a test session running the SDK would otherwise keep the old ``tools``).

A file inside a package (folders with ``__init__.py`` up from it, below the workspace: the
layout of ``langgraph new``'s templates, ``src/agent/graph.py``) is imported as a private
module of that package, with the folder above the package on ``sys.path``: its relative
imports (``from .tools import search``) and absolute ones (``from agent.tools import
search``) both work, without the package being installed.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import inspect
import sys
import threading
import traceback
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from wtb.engine.async_graphs import run_coroutine
from wtb.errors import WorkflowLoadError

_cache: dict[tuple[str, int], ModuleType] = {}
#: The workspace's own modules that importing workflows brought in: name -> (file, mtime_ns).
_imported: dict[str, tuple[str, int]] = {}
_opened: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()  # factory -> the graph it yielded
_lock = threading.RLock()


def split_reference(reference: str) -> tuple[str, str]:
    """``"./rag.py:graph"`` → ``("./rag.py", "graph")``; a clear error when malformed."""
    path, sep, attr = reference.rpartition(":")
    if not sep or not path or not attr.isidentifier():
        raise WorkflowLoadError(
            f"Workflow reference {reference!r} is not of the form 'path/to/file.py:attribute' "
            "or 'package.module:attribute'."
        )
    return path, attr


def is_module_name(target: str) -> bool:
    """Whether a reference's target is a module name (``agent.graph``), not a file path."""
    return not target.endswith(".py") and all(part.isidentifier() for part in target.split("."))


def module_candidates(name: str, workspace: Path) -> list[Path]:
    """Where module ``name``'s file may be: under the workspace, then under its ``src/``."""
    rel = Path(*name.split("."))
    files = (rel.with_suffix(".py"), rel / "__init__.py")
    return [base / file for base in (workspace, workspace / "src") for file in files]


def resolve_file(reference: str, workspace: Path) -> Path:
    """The file a reference names (not imported: the daemon calls this too)."""
    target, _ = split_reference(reference)
    if not is_module_name(target):
        return (workspace / target).resolve()
    candidates = module_candidates(target, workspace)
    return next((c for c in candidates if c.is_file()), candidates[0]).resolve()


def load_object(reference: str, workspace: Path, python_path: Sequence[str] = ()) -> Any:
    """Import the file named by ``reference`` and return its attribute; ``python_path``:
    more folders (relative to the workspace) its imports are found in."""
    target, attr = split_reference(reference)
    file = resolve_file(reference, workspace)
    if is_module_name(target) and not file.is_file():
        looked = ", ".join(c.relative_to(workspace).as_posix() for c in module_candidates(target, workspace))
        raise WorkflowLoadError(
            f"Workflow module {target!r} (from reference {reference!r}) is not in the workspace: looked for {looked}."
        )
    module = _import_file(file, workspace, [str((workspace / folder).resolve()) for folder in python_path])
    if not hasattr(module, attr):
        raise WorkflowLoadError(f"{file.name} has no attribute {attr!r} (from reference {reference!r}).")
    return getattr(module, attr)


def to_graph(obj: Any, what: str) -> Any:
    """Accept a ``StateGraph``, a compiled graph, or a graph factory as ``langgraph.json`` allows:
    a function, sync or async, taking nothing or a ``RunnableConfig`` and returning a graph
    or a (sync) context manager that yields one (see :func:`_call_factory`)."""
    if _is_graph(obj):
        return obj
    if callable(obj):
        produced = _call_factory(obj, what)
        if _is_graph(produced):
            return produced
        obj = produced
    raise WorkflowLoadError(
        f"{what} is a {type(obj).__name__}, not a LangGraph StateGraph, compiled graph, "
        "or a function returning one (with no argument or a RunnableConfig)."
    )


def _is_graph(obj: Any) -> bool:
    from langgraph.graph import StateGraph
    from langgraph.pregel import Pregel

    return isinstance(obj, (StateGraph, Pregel))


def _call_factory(factory: Any, what: str) -> Any:
    """What a graph factory makes, called as LangGraph's server calls one.

    A factory with one parameter gets LangGraph's default ``RunnableConfig`` (the server's
    config of the run is not WTB's: nodes read the run's own config). A coroutine is run to
    its end; a context manager is entered once and left open until the process exits, as
    the graph may use what it opened (WTB runs each workflow in a process of its own).
    An async context manager is refused: what it opens belongs to an event loop WTB's run
    would not share.
    """
    args = _factory_arguments(factory, what)
    try:
        produced = factory(*args)
        if inspect.isawaitable(produced):
            produced = run_coroutine(lambda: _awaited(produced))
        if isinstance(produced, contextlib.AbstractContextManager) and not _is_graph(produced):
            produced = _entered(factory, produced)
    except WorkflowLoadError:
        raise
    except Exception as exc:
        raise WorkflowLoadError(
            f"The factory {what} raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        ) from exc
    if isinstance(produced, contextlib.AbstractAsyncContextManager):
        raise WorkflowLoadError(
            f"The factory {what} is an async context manager; WTB accepts a function returning a graph "
            "(sync or async) or a sync context manager yielding one."
        )
    return produced


def _entered(factory: Any, manager: contextlib.AbstractContextManager[Any]) -> Any:
    """What ``manager`` yields, entered once per factory: a process that loads the graph for
    every run (an SDK caller's) does not open what the factory opens again each time."""
    with _lock:
        if factory not in _opened:
            _opened[factory] = manager.__enter__()
            atexit.register(manager.__exit__, None, None, None)
        return _opened[factory]


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _factory_arguments(factory: Any, what: str) -> tuple[Any, ...]:
    """``()`` for a factory without required parameters, ``(config,)`` for one taking a config."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin): call it bare
        return ()
    required = [
        p for p in parameters
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if not required:
        return ()
    if len(required) == 1 and "ServerRuntime" in str(required[0].annotation):
        raise WorkflowLoadError(
            f"The factory {what} takes a ServerRuntime, which only LangGraph's Agent Server gives; "
            "WTB calls a factory with no argument or with a RunnableConfig."
        )
    if len(required) == 1:
        from langchain_core.runnables import ensure_config

        return (ensure_config(),)
    names = ", ".join(p.name for p in required)
    raise WorkflowLoadError(
        f"The factory {what} takes {len(required)} arguments ({names}); a graph factory takes none "
        "or one, the RunnableConfig."
    )


def _import_file(file: Path, workspace: Path, python_path: list[str]) -> ModuleType:
    if not file.is_file():
        raise WorkflowLoadError(f"Workflow file {file} does not exist; check the reference's path.")
    key = (str(file), file.stat().st_mtime_ns)
    with _lock:
        if _changed(_imported):
            _forget_workspace_modules()
        if key in _cache:
            return _cache[key]
        root = workspace.resolve()
        package, package_root = _package_of(file, root)
        name = "wtb_workflow_" + hashlib.blake2b(str(file).encode(), digest_size=6).hexdigest()
        name = f"{package}.{name}" if package else name
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise WorkflowLoadError(f"{file} cannot be imported as a Python module.")
        module = importlib.util.module_from_spec(spec)
        for folder in [f for f in (*python_path, str(root), package_root) if f is not None]:
            if folder in sys.path:  # this workspace's folders first: another's ``tools.py`` is not this one's
                sys.path.remove(folder)
            sys.path.insert(0, folder)
        _forget_other_workspaces(root)
        sys.modules[name] = module
        before = set(sys.modules)
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(name, None)
            _imported.update(_workspace_modules(set(sys.modules) - before, root))  # fixed later, they reload
            detail = "".join(traceback.format_exception(exc)[-6:])
            raise WorkflowLoadError(
                f"Importing workflow file {file.name} failed with {type(exc).__name__}: {exc}\n{detail}"
            ) from exc
        _cache[key] = module
        _imported.update(_workspace_modules(set(sys.modules) - before, root))
        return module


def _workspace_modules(names: set[str], root: Path) -> dict[str, tuple[str, int]]:
    """Of the modules ``names``, those whose file is the workspace's own code (not an
    environment's, such as a ``.venv`` inside the workspace), with their files' mtimes."""
    environments = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    found: dict[str, tuple[str, int]] = {}
    for name in names:
        path = getattr(sys.modules.get(name), "__file__", None)
        if not path:
            continue
        file = Path(path).resolve()
        if not file.is_relative_to(root) or any(file.is_relative_to(env) for env in environments):
            continue
        if {"site-packages", "dist-packages"} & set(file.parts):
            continue
        with contextlib.suppress(OSError):
            found[name] = (str(file), file.stat().st_mtime_ns)
    return found


def _changed(modules: dict[str, tuple[str, int]]) -> bool:
    for file, mtime in modules.values():
        try:
            if Path(file).stat().st_mtime_ns != mtime:
                return True
        except OSError:
            return True
    return False


def _forget_other_workspaces(root: Path) -> None:
    """Drop from ``sys.modules`` the modules of other workspaces (a test session, a notebook
    opening two): ``import tools`` must find this workspace's. Workflows imported before
    keep the modules they hold."""
    for name, (file, _) in list(_imported.items()):
        if not Path(file).is_relative_to(root):
            sys.modules.pop(name, None)
            del _imported[name]


def _forget_workspace_modules() -> None:
    """Drop every workspace module workflows imported, and the workflows: all import afresh."""
    for name in _imported:
        sys.modules.pop(name, None)
    _imported.clear()
    _cache.clear()


def _package_of(file: Path, workspace: Path) -> tuple[str, str | None]:
    """The dotted name of the package ``file`` sits in, and the folder that package is
    imported from; ``("", None)`` for a file in no package.

    The package is the run of folders with an ``__init__.py`` (and a name Python can
    import) going up from the file, never above the workspace.
    """
    parts: list[str] = []
    folder = file.parent
    while (
        folder != workspace
        and folder.is_relative_to(workspace)
        and folder.name.isidentifier()
        and (folder / "__init__.py").is_file()
    ):
        parts.append(folder.name)
        folder = folder.parent
    if not parts:
        return "", None
    return ".".join(reversed(parts)), str(folder)
