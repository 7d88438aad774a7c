"""Python environments for single nodes (the original design's "venv per node").

A node whose dependencies clash with the rest of the workflow runs in its own virtual
environment under ``<data_dir>/envs/<key>/``. The key hashes the interpreter and the
requirements, so an environment is built once and reused until they change. ``uv`` builds
it when it is on ``PATH`` (seconds), else ``venv`` + ``pip``. ``msgpack`` is always added:
the state crosses the process boundary as msgpack.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from wtb.config import NodeEnvironment
from wtb.errors import WTBError
from wtb.locks import file_lock


class NodeEnvironmentError(WTBError):
    """A node's environment cannot be created or used."""


@dataclass(frozen=True)
class EnvInfo:
    key: str
    path: Path
    python: Path
    requirements: list[str]
    size_bytes: int


class EnvironmentManager:
    """Creates, caches, lists and removes node environments of one data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "envs"

    def python_for(self, env: NodeEnvironment) -> Path:
        """The interpreter that runs a node: the given venv's, or a cached one built now."""
        if env.venv:
            python = Path(env.venv) / "bin" / "python"
            if not python.exists():
                raise NodeEnvironmentError(f"The node's venv {env.venv} has no bin/python.")
            return python
        requirements = sorted({*env.requirements, *_needs_msgpack(env.requirements)})
        base = env.python or sys.executable
        key = hashlib.blake2b(json.dumps([base, requirements]).encode(), digest_size=8).hexdigest()
        path = self.root / key
        python = path / "bin" / "python"
        with file_lock(self.root / f"{key}.lock", f"Node environment {key}", timeout_s=600):
            if not (path / "wtb-env.json").exists():
                self._build(path, base, requirements)
        return python

    def _build(self, path: Path, base: str, requirements: list[str]) -> None:
        shutil.rmtree(path, ignore_errors=True)
        uv = shutil.which("uv")
        try:
            if uv:
                _check([uv, "venv", "--python", base, str(path)])
                _check([uv, "pip", "install", "--python", str(path / "bin" / "python"), *requirements])
            else:
                _check([base, "-m", "venv", str(path)])
                _check([str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", *requirements])
        except NodeEnvironmentError:
            shutil.rmtree(path, ignore_errors=True)
            raise
        (path / "wtb-env.json").write_text(json.dumps({"python": base, "requirements": requirements}))

    def installed(self) -> list[EnvInfo]:
        found = []
        for marker in sorted(self.root.glob("*/wtb-env.json")):
            meta = json.loads(marker.read_text())
            size = sum(f.stat().st_size for f in marker.parent.rglob("*") if f.is_file() and not f.is_symlink())
            found.append(
                EnvInfo(marker.parent.name, marker.parent, marker.parent / "bin" / "python", meta["requirements"], size)
            )
        return found

    def remove(self, key: str | None = None) -> list[str]:
        """Remove one environment by key, or all of them; returns the keys removed."""
        removed = []
        for info in self.installed():
            if key is None or info.key == key:
                shutil.rmtree(info.path, ignore_errors=True)
                removed.append(info.key)
        if key is not None and not removed:
            raise NodeEnvironmentError(f"No node environment {key!r}; `wtb env ls` lists them.")
        return removed


def _needs_msgpack(requirements: tuple[str, ...] | list[str]) -> list[str]:
    named = {r.split("=")[0].split("<")[0].split(">")[0].strip().lower() for r in requirements}
    return [] if "msgpack" in named else ["msgpack"]


def _check(command: list[str]) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise NodeEnvironmentError(
            f"Creating a node environment failed: `{' '.join(command[:4])} …` exited with "
            f"{result.returncode}:\n" + "\n".join(tail)
        )
