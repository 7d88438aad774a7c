"""Paths ↔ ``file://`` URIs and workspace-relative paths (pygls' ``uris`` does the escaping)."""

from __future__ import annotations

from pathlib import Path

from pygls import uris

from wtb.engine import loader
from wtb.errors import WorkflowLoadError


def path_to_uri(path: Path) -> str:
    return uris.from_fs_path(str(path)) or path.resolve().as_uri()


def uri_to_path(uri: str) -> Path | None:
    fs_path = uris.to_fs_path(uri)
    return Path(fs_path) if fs_path else None


def relative(path: Path, workspace: Path) -> str:
    """``path`` relative to the workspace with ``/`` separators, or absolute when outside it."""
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def reference_file(ref: str, workspace: Path) -> Path | None:
    """The file a workflow reference names, found as the loader finds it (nothing imported);
    None for a malformed reference."""
    try:
        return loader.resolve_file(ref, workspace)
    except WorkflowLoadError:
        return None
