"""A ``WTBSaver`` that also hands every put to a plain ``SqliteSaver`` in another file.

Both savers then hold the same run (same checkpoint ids, message ids, writes), so a test
can compare, checkpoint by checkpoint, what WTB reads back with what LangGraph's own
saver stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from wtb import WTBSaver
from wtb.config import FileTrackingConfig
from wtb.engine.checkpointer import open_checkpoint_db


class TeeSaver(WTBSaver):
    def __init__(self, workspace: Path, data_dir: Path, plain_path: Path, *, files: bool = False) -> None:
        super().__init__(workspace, data_dir, file_tracking=FileTrackingConfig(enabled=files))
        self.plain = SqliteSaver(open_checkpoint_db(plain_path))
        self.plain.setup()

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        self.plain.put(config, checkpoint, metadata, new_versions)
        return super().put(config, checkpoint, metadata, new_versions)

    def put_writes(self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = "") -> None:
        self.plain.put_writes(config, writes, task_id, task_path)
        super().put_writes(config, writes, task_id, task_path)

    def close(self) -> None:
        if not self.closed:
            self.plain.conn.close()
        super().close()


def assert_same_checkpoints(ours: Any, plain: SqliteSaver) -> int:
    """Every checkpoint (all threads and namespaces) reads the same through both savers:
    equal values and the same serialised bytes (so the same types), metadata, parents and
    pending writes. Returns how many checkpoints were compared."""
    theirs = list(plain.list(None))
    mine = {_key(t.config): t for t in ours.list(None)}
    assert len(mine) == len(theirs)
    for expected in theirs:
        for found in (mine[_key(expected.config)], ours.get_tuple(expected.config)):
            assert found is not None
            assert found.checkpoint == expected.checkpoint
            assert plain.serde.dumps_typed(found.checkpoint) == plain.serde.dumps_typed(expected.checkpoint)
            assert found.metadata == expected.metadata
            assert found.parent_config == expected.parent_config
            assert list(found.pending_writes or []) == list(expected.pending_writes or [])
    return len(theirs)


def _key(config: Any) -> tuple[str, str, str]:
    c = config["configurable"]
    return str(c["thread_id"]), str(c.get("checkpoint_ns", "")), str(c["checkpoint_id"])
