"""SqliteFileTrackingService: the one object the engine uses to track workspace files.

It ties the pieces together: the watcher's dirty set (or a walk) feeds the scanner,
whose trees and index changes are committed to ``filetrack.db`` together with the
snapshot row; checkpoints link to snapshots; restore and GC work from those links.
Several processes may open the same data directory, each with its own service.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from wtb.config import FileTrackingConfig
from wtb.datafs import open_path
from wtb.filetrack import bundle, settle
from wtb.filetrack.db import Database
from wtb.filetrack.errors import IntegrityError, InvalidStateError, NotFoundError
from wtb.filetrack.gc import GcReport, collect, open_store, storage_stats
from wtb.filetrack.ignore import Rules
from wtb.filetrack.links import INSERT_LINK, Link, link_row, unpack_outputs
from wtb.filetrack.objects import EMPTY_TREE, FILE, SKIPPED, SYMLINK, TREE, Entry
from wtb.filetrack.paths import normalize
from wtb.filetrack.restore import RestorePlan, RestoreWork, apply_plan, make_plan, refuse_data_dir, verify_all
from wtb.filetrack.scan import Scanner, ScanResult
from wtb.filetrack.statindex import IndexDelta, MemoryStatIndex, SqliteStatIndex, StatRecord
from wtb.filetrack.trash import Trash
from wtb.filetrack.trees import Overlay, TreeStore, changed_paths, iter_leaves, lookup
from wtb.filetrack.watcher import BARRIER_TIMEOUT_S, Watcher
from wtb.locks import GcLock
from wtb.models import FileEntry, StorageStats, WatcherStatus

log = logging.getLogger(__name__)


class SqliteFileTrackingService:
    """Snapshots of a workspace's tracked files, stored in ``<data_dir>/.filetrack``."""

    #: Snapshots younger than this, and blobs written within it, survive :meth:`gc`.
    gc_grace_s: float = 3600.0
    #: How long :meth:`snapshot` waits for the watcher's cookie before walking instead.
    barrier_timeout_s: float = BARRIER_TIMEOUT_S

    def __init__(self, workspace: Path, data_dir: Path, config: FileTrackingConfig) -> None:
        self.workspace = Path(workspace).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.config = config
        home = self.data_dir / ".filetrack"
        os.close(open_path(self.data_dir, [".filetrack"], create=True))  # a real folder, never a planted link
        self._db = Database(home / "filetrack.db")
        try:
            self._blobs = open_store(home / "blobs", self._db)
        except BaseException:
            self._db.close()
            raise
        self._trees = TreeStore(self._db)
        self._index = SqliteStatIndex(self._db, str(self.workspace))
        self._gc_lock = GcLock(home / "gc.lock")
        self._rules = self._make_rules()  # validates the config now, not at the first snapshot
        self._watcher = Watcher(self.workspace, self.data_dir, self._make_rules, config.watcher)
        self._mutex = threading.RLock()
        self._base: str | None = None
        self._watching = False
        self._closed = False
        self._last_mode = ""
        self._committed: OrderedDict[str, float] = OrderedDict()  # roots this service committed lately, and when
        self._last_root: str | None = None  # the last snapshot taken: a full walk reuses its unchanged trees
        self._trash = Trash.open_or_warn(home / "trash")  # last: it holds a lock until close()

    # -- life cycle --

    def start(self) -> None:
        """Start the watcher (when enabled and ``config.watch``); snapshots walk until then."""
        with self._mutex:
            self._check_open()
            if self.config.enabled and self.config.watch and not self._watching:
                self._watching = True
                self._base = None
                self._watcher.start()

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._watcher.stop()
            self._blobs.close()
            if self._trash is not None:
                self._trash.close()
            try:
                self._index.flush_later(self._db)
            except Exception:
                log.warning("could not store the last stat index changes of %s", self.workspace, exc_info=True)
            self._db.close()
            self._gc_lock.close()

    def __enter__(self) -> SqliteFileTrackingService:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- snapshots --

    @property
    def last_mode(self) -> str:
        """How the last snapshot found its changes: "incremental" (the watcher's dirty set),
        "full" (a walk), "unchanged", "rewritten" (identical rewrites) or "disabled"."""
        return self._last_mode

    def snapshot(self) -> str:
        """Record the tracked files now; returns the snapshot id (its root tree hash)."""
        if not self.config.enabled:
            self._last_mode = "disabled"
            return EMPTY_TREE
        with self._mutex:
            self._check_open()
            return self._snapshot()[0]

    def snapshot_for(
        self, checkpoint_id: str, execution_id: str, previous: str | None, *, link: bool = True
    ) -> tuple[str, dict[str, str | None]]:
        """Snapshot now for a checkpoint: what a run does at every checkpoint.

        Returns the snapshot id and the step's output files (what changed since
        ``previous``, the snapshot of the checkpoint before). With ``link``, the
        checkpoint is linked to the snapshot in the snapshot's own transaction, or alone
        when the workspace did not change; without, the caller links it later (a run
        links a burst of checkpoints in one transaction: :meth:`link_checkpoints`).
        """
        if not self.config.enabled:
            self._last_mode = "disabled"
            if link:
                self.link_checkpoint(checkpoint_id, execution_id, EMPTY_TREE, {})
            return EMPTY_TREE, {}
        with self._mutex:
            self._check_open()
            return self._snapshot(Link(checkpoint_id, execution_id, previous), write_link=link)

    def _snapshot(self, link: Link | None = None, *, write_link: bool = True) -> tuple[str, dict[str, str | None]]:
        dirty = self._take_dirty()
        base, self._base = self._base, None  # if anything below fails, the drained paths are lost: walk next time
        if dirty is not None and not dirty and base is not None and self._recently_committed(base):
            self._last_mode = "unchanged"
            self._base = base
            outputs = self._outputs(link, base, {})
            if link is not None and write_link:
                self._db.run(INSERT_LINK, link_row(link, base, outputs))
            return base, outputs
        with self._gc_lock.shared():
            result = self._update(base, dirty) if dirty is not None else None
            if result is None:
                self._last_mode = "full"
                self._rules = self._make_rules()
                previous = self._last_root if self._last_root and self._snapshot_exists(self._last_root) else None
                result = self._scanner(self.workspace, self._rules, store=True).full(previous)
            self._trees.derived(result.derived)  # a fact about hashes: true committed or not
            known = result.changes if link is not None and link.previous == base else None
            outputs = self._outputs(link, result.root, result.decoded) if known is None else dict(known)
            row = None if link is None or not write_link else link_row(link, result.root, outputs)
            if self._recently_committed(result.root):  # a workspace that came back to a state it had
                if result.root == base:
                    self._last_mode = "rewritten"
                self._index.later(result.index)
                if row is not None:
                    self._db.run(INSERT_LINK, row)
            else:
                self._commit(result, row)
        self._blobs.refill_spares()
        self._base = result.root if self._watcher.running else None
        self._last_root = result.root
        return result.root, outputs

    def _outputs(
        self, link: Link | None, root: str, new_trees: Mapping[str, Mapping[str, Entry]]
    ) -> dict[str, str | None]:
        """The files that changed from the linked checkpoint's previous snapshot to ``root``
        (whose trees may not be committed yet: ``new_trees``)."""
        if link is None or link.previous is None or link.previous == root:
            return {}

        def get(digest: str) -> Mapping[str, Entry]:
            tree = new_trees.get(digest)
            return self._trees.get(digest) if tree is None else tree

        get(link.previous)  # NotFoundError for an unknown snapshot, before any work
        return changed_paths(get, link.previous, root, self._trees.changed_names)

    def _take_dirty(self, own: bool = False) -> set[str] | None:
        """The paths changed since the last drain; None when only a walk can tell.
        ``own``: those this process changed (see :meth:`Watcher.drain`)."""
        if not self._watching:
            return None
        drained = self._watcher.drain(self.barrier_timeout_s, own=own)
        if drained.trusted:
            return drained.paths
        log.info("walking %s: %s", self.workspace, drained.reason)
        if drained.restart and not self._watcher.restart():
            log.warning("no file watcher for %s; every snapshot walks the workspace", self.workspace)
            self._watching = False
        return None

    def watcher_status(self, *, probe: bool = False) -> WatcherStatus:
        """How snapshots find changes ("inotify", "watchdog", "polling", "walking" or "off").

        ``probe``: run one barrier first, so that the round-trip time is measured now
        (what ``wtb doctor`` shows); a probe that fails leaves the watcher as it was.
        """
        if probe and self._watching:
            self._watcher.barrier(self.barrier_timeout_s)
        if not self.config.enabled or not self._watching:
            return WatcherStatus("off", "file tracking is off" if not self.config.enabled else "not watching")
        return self._watcher.status()

    def _recently_committed(self, root: str) -> bool:
        """Whether this service committed ``root`` well inside the GC grace period.

        Then no collection can have removed it (it is young), so an unchanged workspace
        costs one barrier and no transaction: the common case between checkpoints of
        nodes that write nothing. Several roots are remembered because workspaces come
        back to earlier states: a re-run, a rollback, a loop that rewrites its draft.
        """
        when = self._committed.get(root)
        return when is not None and time.monotonic() - when < self.gc_grace_s / 2

    def _remember_committed(self, root: str) -> None:
        self._committed[root] = time.monotonic()
        self._committed.move_to_end(root)
        while len(self._committed) > _REMEMBERED_ROOTS:
            self._committed.popitem(last=False)

    def _update(self, base: str | None, dirty: set[str]) -> ScanResult | None:
        """Apply the dirty set to the previous snapshot, if that snapshot still exists."""
        if base is None or not self._snapshot_exists(base):
            return None
        try:
            result = self._scanner(self.workspace, self._rules, store=True).update(base, dirty)
        except NotFoundError:
            return None
        self._last_mode = "incremental"
        return result

    def _scanner(self, root: Path, rules: Rules, *, store: bool) -> Scanner:
        if store:
            return Scanner(root, rules, self._index, self._blobs, self._trees)
        return Scanner(root, rules, MemoryStatIndex(), None, self._trees)

    def _touch(self, snapshot_id: str) -> None:
        """Freshen the row of the snapshot the workspace now is (see :meth:`_settle`), so that
        the next snapshot may reuse it as it would one it had just committed."""
        if self._db.run("UPDATE snapshots SET touched_at = ? WHERE root = ?", (time.time(), snapshot_id)) == 1:
            self._remember_committed(snapshot_id)

    def _commit(self, result: ScanResult, link_row: tuple[object, ...] | None = None) -> None:
        now = time.time()
        try:
            with self._db.write() as cur:
                self._trees.put_many(cur, result.trees)
                cur.execute(
                    "INSERT INTO snapshots (root, created_at, touched_at, files, bytes) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(root) DO UPDATE SET touched_at = excluded.touched_at",
                    (result.root, now, now, result.files, result.size),
                )
                self._index.apply_with_later(result.index, cur)
                if link_row is not None:
                    cur.execute(INSERT_LINK, link_row)
        except BaseException:
            self._index.invalidate()
            raise
        for digest, tree in result.decoded.items():
            self._trees.remember(digest, tree, result.rows.get(digest))
        self._remember_committed(result.root)

    # -- checkpoint links --

    def link_checkpoint(
        self, checkpoint_id: str, execution_id: str, snapshot_id: str, output_files: Mapping[str, str | None]
    ) -> None:
        """Record that a checkpoint's files are ``snapshot_id`` and which files its step touched."""
        self._check_linkable(snapshot_id)
        with self._mutex:
            self._db.run(INSERT_LINK, link_row(Link(checkpoint_id, execution_id, None), snapshot_id, output_files))

    def link_checkpoints(
        self, execution_id: str, links: Mapping[str, tuple[str, Mapping[str, str | None]]]
    ) -> None:
        """:meth:`link_checkpoint` for many checkpoints (id -> (snapshot, output files)) in one transaction.

        A commit costs more than the rows it writes (the pages of three b-trees, each
        time): a run of quick steps links its checkpoints a burst at a time.
        """
        for snapshot_id in {snapshot for snapshot, _ in links.values()}:
            self._check_linkable(snapshot_id)
        rows = [
            link_row(Link(checkpoint_id, execution_id, None), snapshot_id, outputs)
            for checkpoint_id, (snapshot_id, outputs) in links.items()
        ]
        with self._mutex, self._db.write() as cur:
            cur.executemany(INSERT_LINK, rows)

    def link_stop(self, checkpoint_id: str, execution_id: str, snapshot_id: str) -> None:
        """Record the files a run stopped with at ``checkpoint_id``, its head, with a step left to run.

        They are not the checkpoint's own files: the step after it ran in part (tasks that
        finished before another asked a question or failed, an ``@entrypoint``'s finished
        ``@task`` calls). LangGraph keeps those tasks' results and does not run them again,
        so going on from the checkpoint must start from these files, or theirs are lost.
        """
        self._check_linkable(snapshot_id)
        with self._mutex:
            self._db.run(
                "INSERT OR REPLACE INTO stops (checkpoint_id, execution_id, snapshot, created_at) VALUES (?, ?, ?, ?)",
                (checkpoint_id, execution_id, snapshot_id, time.time()),
            )

    def stop_snapshot(self, checkpoint_id: str) -> str | None:
        """The files a run stopped with at ``checkpoint_id`` (see :meth:`link_stop`), if one did."""
        row = self._one("SELECT snapshot FROM stops WHERE checkpoint_id = ?", (checkpoint_id,))
        return None if row is None else str(row[0])

    def checkpoint_snapshot(self, checkpoint_id: str) -> str | None:
        row = self._one("SELECT snapshot FROM checkpoints WHERE checkpoint_id = ?", (checkpoint_id,))
        return None if row is None else str(row[0])

    def checkpoint_output_files(self, checkpoint_id: str) -> dict[str, str | None]:
        row = self._one("SELECT output_files FROM checkpoints WHERE checkpoint_id = ?", (checkpoint_id,))
        return {} if row is None else unpack_outputs(row[0])

    def checkpoint_links(self, execution_id: str) -> dict[str, tuple[str, dict[str, str | None]]]:
        """checkpoint id -> (snapshot, output files) for one execution, in one query."""
        with self._mutex, self._db.read() as cur:
            rows = cur.execute(
                "SELECT checkpoint_id, snapshot, output_files FROM checkpoints WHERE execution_id = ?",
                (execution_id,),
            ).fetchall()
        return {str(r[0]): (str(r[1]), unpack_outputs(r[2])) for r in rows}

    def delete_execution(self, execution_id: str) -> None:
        """Drop an execution's checkpoint links; its files go at the next :meth:`gc`."""
        with self._mutex, self._db.write() as cur:
            cur.execute("DELETE FROM checkpoints WHERE execution_id = ?", (execution_id,))
            cur.execute("DELETE FROM stops WHERE execution_id = ?", (execution_id,))

    # -- reading snapshots --

    def changes(self, old: str | None, new: str) -> dict[str, str | None]:
        """path -> new pseudo-hash (None: deleted) between two snapshots; ``old`` None: all of ``new``."""
        with self._mutex:
            return changed_paths(self._get_root_checked(new), old, new)

    def files(self, snapshot_id: str) -> dict[str, FileEntry]:
        with self._mutex:
            return {
                path: FileEntry(path, e.kind, e.hash if e.kind == FILE else None, e.size, e.mode, e.target)
                for path, e in iter_leaves(self._get_root_checked(snapshot_id), snapshot_id)
            }

    def read_file(self, snapshot_id: str, path: str) -> bytes:
        """A file's verified content at a snapshot (a symlink's content is its target)."""
        rel = normalize(path)
        with self._mutex:
            entry = lookup(self._get_root_checked(snapshot_id), snapshot_id, rel)
        if entry is None or entry.kind == TREE:
            raise NotFoundError(f"{rel!r} is not a file in snapshot {snapshot_id}")
        if entry.kind == SKIPPED:
            raise NotFoundError(f"{rel!r} was over the size limit ({entry.size} bytes) and was not stored")
        if entry.kind == SYMLINK:
            return os.fsencode(entry.target or "")
        assert entry.hash is not None
        try:
            return self._blobs.read(entry.hash)
        except IntegrityError as exc:
            raise IntegrityError(f"{rel!r} in snapshot {snapshot_id}: {exc}") from None

    def _get_root_checked(self, snapshot_id: str) -> Callable[[str], Mapping[str, Entry]]:
        self._trees.get(snapshot_id)  # NotFoundError for an unknown snapshot, before any work
        return self._trees.get

    # -- restore --

    def plan_restore(self, snapshot_id: str, target_dir: Path | None = None) -> RestorePlan:
        """What :meth:`restore` would write and delete in ``target_dir`` (default: the workspace)."""
        if not self.config.enabled:
            return RestorePlan()
        with self._mutex, self._gc_lock.shared():
            return self._work(snapshot_id, target_dir)[0].plan

    def restore(
        self,
        snapshot_id: str,
        target_dir: Path | None = None,
        on_file: Callable[[str], None] | None = None,
        current: str | None = None,
        before_write: Callable[[RestorePlan], None] | None = None,
    ) -> RestorePlan:
        """Make the tracked files of ``target_dir`` exactly the snapshot (see ``restore.py``).

        ``current``: the workspace's snapshot the caller has just taken (a rollback's undo
        point); the plan is made against it rather than a second snapshot. A write that
        lands in between is like one made during the restore: it stays dirty for the next
        snapshot. ``before_write``: called with the plan once the snapshot is known and
        every blob it needs is verified, before the first change (a rollback journals its
        intent there, so a restore that cannot be done leaves no journal entry); if it
        raises, nothing is written.
        """
        if not self.config.enabled:
            return RestorePlan()
        with self._mutex:
            self._check_open()
            with self._gc_lock.shared():
                work, root, is_workspace = self._work(snapshot_id, target_dir, current)
                verify_all(work, self._blobs)
                if before_write is not None:
                    before_write(work.plan)
                delta = IndexDelta()
                complete = False
                try:
                    record = settle.recorder(delta) if is_workspace else settle.skip
                    with self._watcher.quiet():
                        apply_plan(work, root, self._blobs, self._pumping(on_file), record, self._trash)
                    complete = True
                finally:
                    if is_workspace:
                        self._index.later(delta)
                        if complete:
                            self._last_root = snapshot_id  # what a walk compares directories with
                        if complete and self._settle(snapshot_id, delta.puts):
                            self._touch(snapshot_id)
                    self._watcher.touched_in_place()  # stop noting event kinds (settled or not)
            return work.plan

    def _pumping(self, on_file: Callable[[str], None] | None) -> Callable[[str], None]:
        """``on_file`` that also reads the watcher's queue every few hundred files, so a
        large restore under :meth:`Watcher.quiet` never overflows the kernel's queue."""
        count = 0

        def each(path: str) -> None:
            nonlocal count
            count += 1
            if count % _PUMP_EVERY == 0:
                self._watcher.pump()
            if on_file is not None:
                on_file(path)

        return each

    def _settle(self, snapshot_id: str, written: Mapping[str, StatRecord]) -> bool:
        """After a complete restore, make the restored snapshot the base of the next one.

        The restore's own writes fill the dirty set, and without this the next snapshot
        (the undo point of the next rollback, the next checkpoint) would re-examine and
        re-seal every restored path to arrive at the snapshot it just restored. Instead
        each path dirty now is checked against the snapshot; one that provably holds what
        the snapshot says is settled, any other (someone else's write during the restore)
        stays dirty. The proof for a file the restore wrote (``written``: its stat right
        after the rename): no event on its name but that rename, and the same inode and
        stat now. Otherwise (a stat cannot tell a write in the same clock tick) the
        content is read back and hashed. Writes after the barrier are in the next dirty
        set anyway (and so are those of other processes still in flight: this drain reads
        the queue as it is, without a barrier's cookie).
        """
        dirty = self._take_dirty(own=True)
        touched = self._watcher.touched_in_place()
        if dirty is None:
            self._base = None
            return False
        self._watcher.requeue(settle.unsettled(self.workspace, self._trees.get, snapshot_id, dirty, written, touched))
        self._base = snapshot_id
        return True

    def _work(
        self, snapshot_id: str, target_dir: Path | None, current: str | None = None
    ) -> tuple[RestoreWork, Path, bool]:
        """The restore plan against the target's current state (taken now unless given)."""
        self._trees.get(snapshot_id)
        root = self.workspace if target_dir is None else Path(target_dir).resolve()
        if root == self.workspace:
            if current is None or current != self._last_root:  # not the last snapshot: take one
                current = self._snapshot()[0]  # also records what the restore will overwrite
            work = make_plan(self._trees.get, current, snapshot_id, self._trees.changed_names)
            refuse_data_dir(work, self._rules.data_rel)
            return work, root, True
        root.mkdir(parents=True, exist_ok=True)
        rules = Rules(root, self.config, self.data_dir)
        result = self._scanner(root, rules, store=False).full()
        work = make_plan(Overlay(self._trees, result.trees).get, result.root, snapshot_id)
        refuse_data_dir(work, rules.data_rel)
        return work, root, False

    # -- retention --

    def pin(self, name: str, snapshot_id: str) -> None:
        """Keep a snapshot through :meth:`gc` under a name (e.g. the undo point of a rollback)."""
        self._check_linkable(snapshot_id)
        with self._mutex:
            self._db.run(
                "INSERT OR REPLACE INTO pins (name, snapshot, created_at) VALUES (?, ?, ?)",
                (name, snapshot_id, time.time()),
            )

    def unpin(self, name: str) -> None:
        with self._mutex:
            self._db.run("DELETE FROM pins WHERE name = ?", (name,))

    def empty_trash(self) -> int:
        """Delete now the files restores replaced, and make the empty files they took (a
        thread does both a moment after each restore); returns how many were deleted."""
        with self._mutex:
            self._check_open()
            return self._trash.tidy() if self._trash is not None else 0

    def gc(self) -> GcReport:
        """Delete snapshots, trees and blobs that nothing references (see ``gc.py`` for safety)."""
        with self._mutex, self._gc_lock.exclusive():
            self._check_open()
            self._index.flush_later(self._db)  # the index is a root of the collection: store it whole
            report = collect(self._db, self._trees, self._blobs, self.gc_grace_s)
            self._base = None
            self._committed.clear()
            self._last_root = None
            return report

    def stats(self) -> StorageStats:
        """Blobs stored, bytes stored and referenced by checkpoints, snapshots."""
        with self._mutex:
            return storage_stats(self._db, self._blobs)

    # -- bundles --

    def export_bundle(self, roots: list[str], known_blobs: set[str] | None = None) -> bytes:
        """Snapshots with their trees and the blobs the receiver lacks, as one msgpack document."""
        with self._mutex, self._gc_lock.shared():
            return bundle.export_bundle(self._db, self._trees, self._blobs, roots, known_blobs)

    def import_bundle(self, data: bytes) -> list[str]:
        """Verify and store a bundle; returns its snapshot ids."""
        with self._mutex, self._gc_lock.shared():
            try:
                return bundle.import_bundle(self._db, self._trees, self._blobs, data)
            finally:
                self._blobs.refill_spares()

    # -- helpers --

    def _make_rules(self) -> Rules:
        return Rules(self.workspace, self.config, self.data_dir)

    def _check_linkable(self, snapshot_id: str) -> None:
        """A link or pin may name the empty tree or a stored snapshot, nothing else."""
        if snapshot_id != EMPTY_TREE and not self._snapshot_exists(snapshot_id):
            raise NotFoundError(f"no snapshot {snapshot_id} in {self.data_dir}")

    def _snapshot_exists(self, snapshot_id: str) -> bool:
        if self._recently_committed(snapshot_id):
            return True
        return self._one("SELECT 1 FROM snapshots WHERE root = ?", (snapshot_id,)) is not None

    def _one(self, sql: str, args: tuple[str, ...]) -> tuple[object, ...] | None:
        with self._mutex:
            return self._db.one(sql, args)

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidStateError("this file tracking service is closed")


_REMEMBERED_ROOTS = 256  # recently committed snapshot roots kept (see _recently_committed)
_PUMP_EVERY = 256  # restored files between two reads of the watcher's queue (~6 events each)
