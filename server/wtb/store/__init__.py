"""Infrastructure: WTB's own SQLite database (``wtb.db``)."""

from wtb.store.db import Database
from wtb.store.executions import ExecutionStore

__all__ = ["Database", "ExecutionStore"]
