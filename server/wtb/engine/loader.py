"""Turn a workflow reference (``"path/file.py:attr"`` or ``"package.module:attr"``) into a LangGraph graph.

The reference follows the LangGraph CLI's ``langgraph.json`` convention. A module name
stands for its file under the workspace (or its ``src/`` folder), found without importing
anything, so the daemon can show it too. The file is
imported by path under a private module name with the workspace on ``sys.path`` (so the
workflow can import its sibling modules); a module is re-imported when its file changes,
so an edited workflow runs as edited.

A file inside a package (folders with ``__init__.py`` up from it, below the workspace: the
layout of ``langgraph new``'s templates, ``src/agent/graph.py``) is imported as a private
module of that package, with the folder above the package on ``sys.path``: its relative
imports (``from .tools import search``) and absolute ones (``from agent.tools import
search``) both work, without the package being installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import threading
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from wtb.errors import WorkflowLoadError

_cache: dict[tuple[str, int], ModuleType] = {}
_lock = threading.Lock()


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


def load_object(reference: str, workspace: Path) -> Any:
    """Import the file named by ``reference`` and return its attribute."""
    target, attr = split_reference(reference)
    file = resolve_file(reference, workspace)
    if is_module_name(target) and not file.is_file():
        looked = ", ".join(c.relative_to(workspace).as_posix() for c in module_candidates(target, workspace))
        raise WorkflowLoadError(
            f"Workflow module {target!r} (from reference {reference!r}) is not in the workspace: looked for {looked}."
        )
    module = _import_file(file, workspace)
    if not hasattr(module, attr):
        raise WorkflowLoadError(f"{file.name} has no attribute {attr!r} (from reference {reference!r}).")
    return getattr(module, attr)


def to_graph(obj: Any, what: str) -> Any:
    """Accept a ``StateGraph``, a compiled graph or a zero-argument factory of either."""
    from langgraph.graph import StateGraph
    from langgraph.pregel import Pregel

    if isinstance(obj, (StateGraph, Pregel)):
        return obj
    if callable(obj):
        try:
            produced = obj()
        except Exception as exc:
            raise WorkflowLoadError(
                f"The factory {what} raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            ) from exc
        if isinstance(produced, (StateGraph, Pregel)):
            return produced
        obj = produced
    raise WorkflowLoadError(
        f"{what} is a {type(obj).__name__}, not a LangGraph StateGraph, compiled graph, "
        "or a zero-argument function returning one."
    )


def _import_file(file: Path, workspace: Path) -> ModuleType:
    if not file.is_file():
        raise WorkflowLoadError(f"Workflow file {file} does not exist; check the reference's path.")
    key = (str(file), file.stat().st_mtime_ns)
    with _lock:
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
        for folder in (str(root), package_root):
            if folder is not None and folder not in sys.path:
                sys.path.insert(0, folder)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(name, None)
            detail = "".join(traceback.format_exception(exc)[-6:])
            raise WorkflowLoadError(
                f"Importing workflow file {file.name} failed with {type(exc).__name__}: {exc}\n{detail}"
            ) from exc
        _cache[key] = module
        return module


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
