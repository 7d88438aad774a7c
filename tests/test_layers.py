"""The layers of docs/architecture.md hold, and import-linter really catches an upward import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(package_parent: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=120,
    )


def test_the_layers_and_no_cycles_hold() -> None:
    result = _lint(REPO / "server")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    copy = tmp_path / "server"
    shutil.copytree(REPO / "server" / "wtb", copy / "wtb", ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "wtb" / "engine" / "runs.py").open("a", encoding="utf-8") as module:
        module.write("\nimport wtb.sdk.bench  # the engine reaching up into the SDK\n")
    result = _lint(copy)
    assert result.returncode != 0
    assert "wtb.engine.runs -> wtb.sdk.bench" in result.stdout
