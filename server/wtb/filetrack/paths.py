"""Workspace-relative paths: one spelling, never outside the workspace.

Every path the tracker stores or accepts is relative, POSIX-separated and
normalised (``a/b``, no ``.``/``..``/empty parts). Names that are not UTF-8 are
kept as ``str`` with ``surrogateescape`` (what ``os.fsdecode`` and ``os.scandir``
produce), and turned back into the original bytes with ``os.fsencode`` wherever they
are stored; both sides use the same codec, so they round-trip exactly.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PureWindowsPath

from wtb.filetrack.errors import UnsafePathError


def normalize(path: str | os.PathLike[str]) -> str:
    """The canonical relative form of ``path``; UnsafePathError if it could escape."""
    raw = os.fspath(path)
    if isinstance(raw, bytes):  # pragma: no cover - typed as str, but callers may pass bytes
        raw = os.fsdecode(raw)
    if "\0" in raw:
        raise UnsafePathError(f"path {raw!r} contains a NUL byte")
    if raw.startswith("/") or (os.name == "nt" and PureWindowsPath(raw).drive):
        raise UnsafePathError(f"path {raw!r} is absolute; give a path relative to the workspace")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePathError(f"path {raw!r} goes outside the workspace ('..')")
    if not parts:
        raise UnsafePathError(f"path {raw!r} names the workspace itself, not a file in it")
    return "/".join(parts)


def normalize_root(path: str | os.PathLike[str]) -> str:
    """Like :func:`normalize`, but the workspace itself (``"."``) is allowed and gives ``""``."""
    raw = os.fspath(path)
    if raw in ("", ".", "./"):
        return ""
    return normalize(raw)


def relative_to(root: Path, target: Path) -> str | None:
    """``target`` relative to ``root`` when it lies inside it (both absolute), else None."""
    try:
        rel = target.relative_to(root)
    except ValueError:
        return None
    text = rel.as_posix()
    return "" if text == "." else text


def is_within(root: Path, target: Path) -> bool:
    """Whether ``target`` is ``root`` or below it (no symlink resolution: callers resolve)."""
    return relative_to(root, target) is not None


def ensure_inside(root: Path, rel: str) -> Path:
    """The absolute path of ``rel``, refusing it when a parent is a symlink leading outside.

    Symlinks that stay inside the workspace are allowed (reading through them is
    harmless); writers use :mod:`wtb.filetrack.safefs`, which follows no symlink at all.
    """
    rel = normalize(rel)
    real_root = Path(os.path.realpath(root))
    current = Path(root)
    for part in rel.split("/")[:-1]:
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            break
        if stat.S_ISLNK(st.st_mode) and not is_within(real_root, Path(os.path.realpath(current))):
            raise UnsafePathError(f"path {rel!r} goes through {part!r}, a symlink that leads outside the workspace")
    return Path(root) / rel
