"""The one way WTB opens a SQLite file, and the one way it migrates a schema.

All three databases of a data directory (``wtb.db``, LangGraph's ``wtb_checkpoints.db``
and ``.filetrack/filetrack.db``) are opened by several processes at once (the daemon,
run workers, batch drivers, the CLI), so every connection uses WAL, a busy timeout and
``synchronous=NORMAL`` (safe against process crashes under WAL; only a power loss can
drop the last commits). A schema evolves by forward-only steps counted in SQLite's own
``PRAGMA user_version``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from wtb.errors import WTBError

BUSY_TIMEOUT_S = 30.0

#: One schema step: SQL statements (split on ";") or a function given a cursor.
Step = str | Callable[[sqlite3.Cursor], None]


class SchemaVersionError(WTBError):
    """The file was written by a newer WTB: its schema is ahead of this one's."""


def connect(path: Path, *, autocommit: bool = True, rows: bool = False) -> sqlite3.Connection:
    """Open ``path`` the way every WTB process does.

    ``autocommit``: statements commit on their own unless a ``BEGIN`` opens a transaction
    (WTB's own stores); ``False`` keeps Python's implicit transactions, which LangGraph's
    saver expects. ``rows``: rows as :class:`sqlite3.Row` (by column name).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    if autocommit:
        conn.isolation_level = None
    if rows:
        conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def migrate(cur: sqlite3.Cursor, path: Path, steps: Sequence[Step], start: int | None = None) -> int:
    """Bring the schema up to ``len(steps)`` inside the caller's write transaction.

    ``start``: the version to assume when ``user_version`` is 0 (a file whose version was
    kept elsewhere by an older WTB). Returns the version found before migrating.
    """
    found = int(cur.execute("PRAGMA user_version").fetchone()[0]) or (start or 0)
    if found > len(steps):
        raise SchemaVersionError(
            f"{path} has schema version {found}; this WTB understands up to {len(steps)}. "
            "Upgrade WTB or use another data directory."
        )
    for step in steps[found:]:
        if callable(step):
            step(cur)
            continue
        for statement in step.split(";"):
            if statement.strip():
                cur.execute(statement)
    if found != len(steps) or start:
        cur.execute(f"PRAGMA user_version = {len(steps)}")
    return found


def retry_locked(action: Callable[[], object]) -> None:
    """Retry a statement that SQLite refused with "locked" before its busy handler applies.

    ``BEGIN IMMEDIATE`` and the WAL switch honour ``busy_timeout`` in practice, but a
    few paths (journal mode change while another process opens the file) return
    SQLITE_BUSY at once; a short retry loop makes start-up races harmless.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
