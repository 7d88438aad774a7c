"""Copying and rewriting a LangGraph thread through a checkpointer's public methods only.

``WTBSaver`` offers LangGraph's optional capabilities ``copy_thread``, ``prune`` and
``delete_for_runs``. ``SqliteSaver`` underneath has no public way to copy a thread or to
delete single checkpoints, and its tables are an undocumented layout that may change in
any release, so all three are built here on ``list``, ``put``, ``put_writes`` and
``delete_thread`` (the ``BaseCheckpointSaver`` API):

- **copy**: every checkpoint of the source (all namespaces), oldest first, is ``put`` into
  the target with the config naming its parent, then its pending writes, task by task.
- **rewrite** (keep some checkpoints of a thread, drop the rest): the kept checkpoints are
  copied into a *staging* thread, the thread is deleted, the staging thread is copied back
  and deleted. Each phase commits on its own, so a journal row (a table WTB owns, in the
  same database) says how far a rewrite got: a crash while staging leaves the thread as it
  was (the staging copy is dropped on the next open); a crash after it finishes the swap
  from the complete staging copy. Either way nothing the caller kept is lost.

Pending writes come back from ``list`` without the ``task_path`` they were stored with;
:mod:`wtb.engine.task_paths` recorded it at ``put_writes`` and gives it back here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from langgraph.checkpoint.base import WRITES_IDX_MAP, CheckpointTuple
from langgraph.checkpoint.serde.types import INTERRUPT, RESUME

from wtb import faults
from wtb.engine import paused_tasks

#: The staging thread of a rewrite of ``<thread>`` (``delete_thread`` of it first clears any leftover).
STAGING_SUFFIX = "#wtb-rewrite-staging"

JOURNAL_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS wtb_thread_rewrites ("
    " thread_id TEXT PRIMARY KEY,"
    " phase TEXT NOT NULL CHECK (phase IN ('staging', 'swapping')))"
)

Keep = Callable[[CheckpointTuple], bool]


class ThreadStore(Protocol):
    """The ``BaseCheckpointSaver`` methods a copy needs (without any recording of WTB's)."""

    def list(self, config: Any) -> Iterator[CheckpointTuple]: ...

    def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any: ...

    def put_writes(self, config: Any, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = "") -> None: ...

    def delete_thread(self, thread_id: str) -> None: ...


@dataclass
class ThreadCopier:
    """Copies and rewrites threads of ``store``; ``conn`` holds the journal; ``task_paths``
    gives ``{(thread, namespace, checkpoint id, task id): task path}`` for a thread."""

    store: ThreadStore
    conn: sqlite3.Connection
    task_paths: Callable[[str], Mapping[tuple[str, str, str, str], str]]

    def setup(self) -> None:
        with self.conn:
            self.conn.execute(JOURNAL_SCHEMA)

    def copy(self, source: str, target: str) -> int:
        """Copy every checkpoint and pending write of ``source`` into ``target``; how many checkpoints."""
        return self._put_all(target, self._oldest_first(source), self.task_paths(source), source)

    def copy_up_to(self, source: str, target: str, heads: Mapping[str, str], *, asked: bool = False) -> int:
        """Copy into ``target`` the checkpoint ``heads[namespace]`` of each namespace and its
        ancestors there, with their ids: what continuing from a step inside a subgraph needs
        (LangGraph derives task ids, and so the subgraph's namespace, from checkpoint ids).

        The heads' own pending writes stay behind (their tasks run again in ``target``),
        but where their tasks ``asked`` questions the heads keep the writes they had while
        paused (:func:`paused_writes`): LangGraph matches answers against those.
        """
        found = self._oldest_first(source)
        by_key = {(namespace_of(t), str(t.checkpoint["id"])): t for t in found}
        kept: set[tuple[str, str]] = set()
        for namespace, head in heads.items():
            current = by_key.get((namespace, head))
            if current is None:
                raise KeyError(f"thread {source} has no checkpoint {head} in namespace {namespace!r}")
            while current is not None:
                kept.add((namespace, str(current.checkpoint["id"])))
                parent = checkpoint_id_of(current.parent_config)
                current = by_key.get((namespace, parent)) if parent else None
        chosen = [t for t in found if (namespace_of(t), str(t.checkpoint["id"])) in kept]
        head_keys = {(namespace, head) for namespace, head in heads.items()}
        as_heads = [
            t._replace(pending_writes=self._as_paused(source, t) if asked else [])
            if (namespace_of(t), str(t.checkpoint["id"])) in head_keys
            else t
            for t in chosen
        ]
        copied = self._put_all(target, as_heads, self.task_paths(source), source)
        for t in as_heads if asked else []:  # the copy is paused there too: a fork of it keeps the same
            if (namespace_of(t), str(t.checkpoint["id"])) in head_keys:
                paused_tasks.record(self.conn, target, namespace_of(t), str(t.checkpoint["id"]), t.pending_writes or [])
        return copied

    def _as_paused(self, thread_id: str, found: CheckpointTuple) -> list[tuple[str, str, Any]]:
        finished = paused_tasks.of(self.conn, thread_id, namespace_of(found), str(found.checkpoint["id"]))
        return paused_writes(found.pending_writes or [], finished)

    def rewrite(self, thread_id: str, keep: Keep) -> bool:
        """Keep only the checkpoints of ``thread_id`` for which ``keep`` holds; whether any went."""
        found = self._oldest_first(thread_id)
        kept = [t for t in found if keep(t)]
        if len(kept) == len(found):
            return False
        staging = thread_id + STAGING_SUFFIX
        self._journal(thread_id, "staging")
        self.store.delete_thread(staging)
        self._put_all(staging, kept, self.task_paths(thread_id), thread_id)
        self._journal(thread_id, "swapping")
        self._swap(thread_id)
        return True

    def recover(self) -> list[str]:
        """Finish or undo the rewrites a crash interrupted; the threads concerned."""
        rows = self.conn.execute("SELECT thread_id, phase FROM wtb_thread_rewrites").fetchall()
        for thread_id, phase in rows:
            if phase == "swapping":
                self._swap(str(thread_id))
            else:
                self.store.delete_thread(str(thread_id) + STAGING_SUFFIX)
                self._journal(str(thread_id), None)
        return [str(row[0]) for row in rows]

    # -- steps --

    def _swap(self, thread_id: str) -> None:
        """Replace the thread by its complete staging copy, then drop the copy and the journal row."""
        staging = thread_id + STAGING_SUFFIX
        self.store.delete_thread(thread_id)
        self._put_all(thread_id, self._oldest_first(staging), self.task_paths(staging), staging)
        self.store.delete_thread(staging)
        self._journal(thread_id, None)

    def _journal(self, thread_id: str, phase: str | None) -> None:
        with self.conn:
            if phase is None:
                self.conn.execute("DELETE FROM wtb_thread_rewrites WHERE thread_id = ?", (thread_id,))
            else:
                self.conn.execute(
                    "INSERT OR REPLACE INTO wtb_thread_rewrites (thread_id, phase) VALUES (?, ?)", (thread_id, phase)
                )

    def _oldest_first(self, thread_id: str) -> list[CheckpointTuple]:
        # No namespace in the config: a saver lists the thread's checkpoints of every namespace.
        return list(reversed(list(self.store.list({"configurable": {"thread_id": thread_id}}))))

    def _put_all(
        self,
        target: str,
        tuples: Iterable[CheckpointTuple],
        paths: Mapping[tuple[str, str, str, str], str],
        source: str,
    ) -> int:
        count = 0
        for found in tuples:
            namespace = namespace_of(found)
            parent = checkpoint_id_of(found.parent_config)
            config = thread_config(target, namespace, parent)
            stored = self.store.put(
                config, found.checkpoint, dict(found.metadata or {}), dict(found.checkpoint.get("channel_versions", {}))
            )
            checkpoint_id = str(found.checkpoint["id"])
            for task_id, writes in writes_by_task(found.pending_writes or []):
                path = paths.get((source, namespace, checkpoint_id, task_id), "")
                # A task's special writes (error, interrupt…) have fixed indexes, its others are
                # numbered by position in the call: stored in calls of their own, as the loop does.
                for chosen in split_special(writes):
                    self.store.put_writes(stored, chosen, task_id, path)
            faults.hit("thread_copy.put")  # a test's crash between two checkpoints of a copy
            count += 1
        return count


def paused_writes(
    pending: Iterable[tuple[str, str, Any]], finished: Mapping[str, int | None] | None = None
) -> list[tuple[str, str, Any]]:
    """A step's pending writes as they were while it waited for answers: a task that asked
    keeps its question (``__interrupt__``) and the answers to the questions it had asked
    before that one (a node asking twice in turn: LangGraph runs it again from its start
    and hands it those), answers given since (``__resume__``) go, the other tasks' writes
    stay (LangGraph does not run those again), except, when ``finished`` names the tasks
    that had written when the run paused (with the answers each held then), those that ran
    after the answer (:mod:`wtb.engine.paused_tasks`)."""
    writes = list(pending)
    asking = {task_id for task_id, channel, _ in writes if channel == INTERRUPT}
    kept = []
    for task_id, channel, value in writes:
        if finished is not None and task_id not in finished:
            continue
        if channel == RESUME:  # unknown how many it held (no pause recorded): none, as it first asked
            held = (finished or {}).get(task_id) or 0
            if task_id in asking and isinstance(value, list) and held:
                kept.append((task_id, channel, value[:held]))
        elif task_id not in asking or channel == INTERRUPT:
            kept.append((task_id, channel, value))
    return kept


def writes_by_task(pending: Iterable[tuple[str, str, Any]]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Pending writes ``(task id, channel, value)`` grouped by task, in the order given."""
    groups: list[tuple[str, list[tuple[str, Any]]]] = []
    for task_id, channel, value in pending:
        if not groups or groups[-1][0] != task_id:
            groups.append((str(task_id), []))
        groups[-1][1].append((str(channel), value))
    return groups


def split_special(writes: list[tuple[str, Any]]) -> list[list[tuple[str, Any]]]:
    special = [w for w in writes if w[0] in WRITES_IDX_MAP]
    regular = [w for w in writes if w[0] not in WRITES_IDX_MAP]
    return [chosen for chosen in (special, regular) if chosen]


def thread_config(thread_id: str, namespace: str = "", checkpoint_id: str | None = None) -> Any:
    configurable = {"thread_id": thread_id, "checkpoint_ns": namespace}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def namespace_of(found: CheckpointTuple) -> str:
    return str(found.config["configurable"].get("checkpoint_ns", ""))


def checkpoint_id_of(config: Any) -> str | None:
    found = (config or {}).get("configurable", {}).get("checkpoint_id")
    return str(found) if found else None
