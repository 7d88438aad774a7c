"""Which workspace a command is about, found the way ``git`` finds its repository.

Without ``--workspace``, the nearest folder from the current one upward that declares itself
a WTB workspace: it has a ``langgraph.json`` (the LangGraph CLI's file), a ``pyproject.toml``
with a ``[tool.wtb]`` table, or a ``.wtb/`` data directory. A folder without any of these is no
workspace, even when named with ``--workspace``: the CLI says so instead of making one there.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from wtb.errors import InvalidArgumentError

MARKERS = "a langgraph.json, a pyproject.toml with [tool.wtb], or a .wtb/ folder"


@dataclass(frozen=True)
class Located:
    workspace: Path
    data_dir: Path
    #: Whether the data directory exists yet (a command that only reads does not make it).
    has_data: bool


def locate(workspace: str | None, data_dir: str | None, cwd: Path | None = None) -> Located:
    """The workspace (``--workspace`` or found upward from ``cwd``) and its data directory."""
    if workspace is not None:
        root = Path(workspace).expanduser().resolve()
        if not root.is_dir():
            raise InvalidArgumentError(f"Workspace {root} is not a directory.")
        if not is_workspace(root) and not (data_dir and Path(data_dir).is_dir()):
            raise InvalidArgumentError(f"{root} is not a WTB workspace: it has no {MARKERS}.")
    else:
        start = (cwd or Path.cwd()).resolve()
        found = find_workspace(start)
        if found is None:
            raise InvalidArgumentError(
                f"No WTB workspace in {start} or above: none has {MARKERS} (or pass --workspace)."
            )
        root = found
    data = Path(data_dir).expanduser().resolve() if data_dir else root / ".wtb"
    return Located(root, data, data.is_dir() or data.is_symlink())


def find_workspace(start: Path) -> Path | None:
    """The nearest folder from ``start`` upward that is a workspace."""
    for folder in (start, *start.parents):
        if is_workspace(folder):
            return folder
    return None


def is_workspace(folder: Path) -> bool:
    if (folder / "langgraph.json").is_file() or (folder / ".wtb").is_dir():
        return True
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and isinstance(tool.get("wtb"), dict)
