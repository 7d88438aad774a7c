"""Record/replay: take a node's output from an earlier call when the state it reads is identical.

With replay on, every real node call is recorded: which top-level state keys the node
read (the state it gets is a dict that notes each key looked at) and a hash of their
values, in ``wtb.db``'s ``node_calls``. The output needs no extra storage: it is the
writes of the checkpoint the call produced, and the files it wrote are that checkpoint's
``_output_files``, content in the CAS. A later call of the node (a resumed fork, a
re-run) whose read keys hash the same returns the recorded update and writes the recorded
files instead of running — so "fork at step 7 and change one prompt" calls only the nodes
that read that prompt or what it changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wtb.engine.async_graphs import is_async_only
from wtb.engine.inspection import get_checkpoints
from wtb.engine.services import Services
from wtb.store.recordings import ReplayStore


@dataclass(frozen=True)
class Recording:
    update: Any
    output_files: dict[str, str | None]
    execution_id: str
    checkpoint_id: str


class ReadTrackingState(dict[str, Any]):
    """The state a recording node gets: a dict that remembers which keys were read."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self.read.update(super().keys())
        return super().__iter__()

    def keys(self) -> Any:
        self.read.update(super().keys())
        return super().keys()

    def items(self) -> Any:
        self.read.update(super().keys())
        return super().items()

    def values(self) -> Any:
        self.read.update(super().keys())
        return super().values()

    def copy(self) -> dict[str, Any]:
        self.read.update(super().keys())
        return dict(super().items())


def hash_keys(state: Any, keys: list[str]) -> str:
    values = {k: dict.get(state, k, "<absent>") if isinstance(state, dict) else getattr(state, k, "<absent>")
              for k in keys}
    text = json.dumps(values, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class Replayer:
    """Looks up recordings for one run and records its real calls."""

    def __init__(self, services: Services, project: str, execution_id: str) -> None:
        self._services = services
        self._store = ReplayStore(services.db)
        self.project = project
        self.execution_id = execution_id
        self._children: dict[str, dict[tuple[str, str], Recording]] = {}

    def lookup(self, node: str, state: Any) -> Recording | None:
        for keys, digest, execution_id, parent in self._store.candidates(self.project, node):
            if hash_keys(state, keys) == digest:
                found = self._produced(node, execution_id, parent)
                if found is not None:
                    return found
        return None

    def _produced(self, node: str, execution_id: str, parent: str) -> Recording | None:
        """The checkpoint that the recorded call made (its child), if it still exists."""
        if execution_id not in self._children:
            self._children[execution_id] = self._calls_of(execution_id)
        return self._children[execution_id].get((parent, node))

    def _calls_of(self, execution_id: str) -> dict[tuple[str, str], Recording]:
        """(parent checkpoint, node) → recording, for one execution (read once per run)."""
        try:
            checkpoints = get_checkpoints(self._services, execution_id)
        except Exception:
            return {}  # pruned since
        return {
            (checkpoint.parent_id, node): Recording(update, checkpoint.output_files, execution_id, checkpoint.id)
            for checkpoint in checkpoints
            if checkpoint.parent_id
            for node, update in checkpoint.writes.items()
        }

    def record(self, node: str, parent: str | None, state: ReadTrackingState) -> None:
        if parent:
            keys = sorted(state.read)
            self._store.record(self.project, node, self.execution_id, parent, keys, hash_keys(state, keys))


def replaying_node(
    name: str,
    original: Any,
    replayer: Replayer,
    read_blob: Callable[[str, str, str], bytes],
    replayed: list[str],
) -> Callable[..., Any]:
    """A node that answers from a recording when it can, and otherwise runs and records.

    An ``async def`` node gets an async stand-in (``ainvoke``), so its graph stays async.
    """

    def replay(state: Any) -> Any:
        recording = replayer.lookup(name, state)
        if recording is None:
            return None
        _write_files(recording, read_blob)
        replayed.append(name)
        return recording

    def recorded(tracked: Any, config: Any, update: Any) -> Any:
        if isinstance(tracked, ReadTrackingState):
            replayer.record(name, _running_from(config), tracked)
        return update

    def node(state: Any, config: Any) -> Any:
        recording = replay(state)
        if recording is not None:
            return recording.update
        tracked = ReadTrackingState(state) if isinstance(state, dict) else state
        return recorded(tracked, config, original.invoke(tracked, config))

    async def anode(state: Any, config: Any) -> Any:
        recording = replay(state)
        if recording is not None:
            return recording.update
        tracked = ReadTrackingState(state) if isinstance(state, dict) else state
        return recorded(tracked, config, await original.ainvoke(tracked, config))

    chosen: Callable[..., Any] = anode if is_async_only(original) else node
    chosen.__name__ = name
    return chosen


def _running_from(config: Any) -> str | None:
    """The checkpoint a task runs from: LangGraph keeps it in ``checkpoint_map`` under the root namespace."""
    configurable = config.get("configurable", {}) if isinstance(config, dict) else {}
    parent = configurable.get("checkpoint_map", {}).get("")
    return str(parent) if parent else None


def _write_files(recording: Recording, read_blob: Callable[[str, str, str], bytes]) -> None:
    for path, digest in recording.output_files.items():
        target = Path(path)
        if digest is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(read_blob(recording.execution_id, recording.checkpoint_id, path))
