"""A damaged data dir is named, not dumped: a database that is not one, truncated, read-only
or in a read-only folder, or a missing blob folder, gives one line that names the file and
says what to do, exit status 2, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.checks import drop_journals, one_clear_line
from wtb.errors import DamagedStoreError
from wtb.sqlite import connect

NO_DAC = ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


def wtb(*args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "wtb", *args], capture_output=True, text=True, timeout=120
    )


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (root ignores them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None or subprocess.run([setpriv, *NO_DAC, "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root without a way to drop CAP_DAC_OVERRIDE: permissions are not enforced")
    return [setpriv, *NO_DAC]


@pytest.mark.parametrize("name", ["wtb.db", ".filetrack/filetrack.db", "wtb_checkpoints.db"])
@pytest.mark.parametrize("damage", ["random", "half"])
def test_a_damaged_database_is_named_in_one_line(ws: Path, name: str, damage: str) -> None:
    db = ws / ".wtb" / name
    drop_journals(db)
    if damage == "random":
        db.write_bytes(os.urandom(100))
    else:
        os.truncate(db, db.stat().st_size // 2)
    for command in ("executions", "projects"):
        line = one_clear_line(wtb(command, "--workspace", str(ws)), str(db))
        assert "move the data directory aside" in line


@pytest.mark.parametrize("what", ["wtb.db", "data dir"])
def test_a_read_only_store_is_named_in_one_line(ws: Path, what: str) -> None:
    prefix = unprivileged()
    data_dir = ws / ".wtb"
    path = data_dir / "wtb.db" if what == "wtb.db" else data_dir
    path.chmod(0o444 if what == "wtb.db" else 0o555)
    try:
        line = one_clear_line(wtb("executions", "--workspace", str(ws), prefix=prefix), str(path), "read-only")
    finally:
        path.chmod(0o644 if what == "wtb.db" else 0o755)
    assert "writable" in line


def test_a_missing_blob_store_is_named_in_one_line(ws: Path) -> None:
    blobs = ws / ".wtb" / ".filetrack" / "blobs"
    shutil.rmtree(blobs)
    one_clear_line(wtb("executions", "--workspace", str(ws)), str(blobs), "missing", "move the data directory aside")
    assert not blobs.exists()  # not quietly made anew, empty


def test_connect_names_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(os.urandom(100))
    with pytest.raises(DamagedStoreError, match=f"{path} is not a SQLite database"):
        connect(path)
