"""Checks shared by the CLI's failure tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("wtb: error: "), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    return result.stderr


def drop_journals(db: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
