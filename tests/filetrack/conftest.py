"""Factories for file-tracking tests: real directories, real SQLite, real watchdog."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from wtb.config import FileTrackingConfig
from wtb.filetrack import SqliteFileTrackingService

Files = Mapping[str, "str | bytes"]


def write_files(root: Path, files: Files) -> None:
    """Create files (parents too); str content is written as UTF-8."""
    for rel, content in files.items():
        path = Path(os.path.join(root, rel))
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)


def tree_of(root: Path, skip: tuple[str, ...] = (".wtb",)) -> dict[str, bytes]:
    """Every regular file below root (relative path -> content), skipping given top folders."""
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if not os.path.islink(os.path.join(dirpath, name)):
                out[rel] = Path(dirpath, name).read_bytes()
    return out


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(files: Files | None = None, name: str | None = None) -> Path:
        root = tmp_path / (name or f"ws{next(counter)}")
        root.mkdir(parents=True)
        write_files(root, files or {})
        return root

    return make


@pytest.fixture
def make_service() -> Iterator[Callable[..., SqliteFileTrackingService]]:
    services: list[SqliteFileTrackingService] = []

    def make(
        workspace: Path, data_dir: Path | None = None, *, start: bool = False, **config: object
    ) -> SqliteFileTrackingService:
        svc = SqliteFileTrackingService(
            workspace, data_dir or workspace / ".wtb", FileTrackingConfig(**config)  # type: ignore[arg-type]
        )
        services.append(svc)
        if start:
            svc.start()
        return svc

    yield make
    for svc in services:
        svc.close()
