"""Making a directory's tracked files exactly a snapshot.

The plan is the diff between the directory's current tree and the snapshot: only
paths whose entry differs are touched. Before anything is written every blob the plan
needs is read and checked against its hash, so a corrupt store fails the restore
with the directory untouched (a caller that must act between that check and the first
write, as a rollback journals its intent there, passes ``before_write``). Then files
absent from the snapshot are removed (with directories that became empty), the
snapshot's empty directories made, and the others written through :mod:`safefs`.

Restore is idempotent: after a crash half-way, the next call diffs the half-restored
directory against the snapshot and does what is left. Files over the size limit were
never stored, so restore neither writes nor removes them; the plan lists them as skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wtb.filetrack.cas import BlobStore
from wtb.filetrack.errors import IntegrityError, UnsafePathError
from wtb.filetrack.objects import FILE, SKIPPED, SYMLINK, TREE, Entry
from wtb.filetrack.safefs import SafeRoot
from wtb.filetrack.trash import Trash
from wtb.filetrack.trees import ChangedNames, TreeGetter, diff
from wtb.models import SkippedFile

OnFile = Callable[[str], None]
Write = Callable[[bytes], None]
Record = Callable[[str, "os.stat_result | None", Entry | None], None]


@dataclass
class RestorePlan:
    """What a restore writes (created or rewritten) and deletes, as workspace paths, and what
    it leaves alone though the snapshot differs (``skipped``: files over the size limit).

    ``made_dirs``: empty directories of the snapshot it makes; ``removed_dirs``: empty ones
    the snapshot lacks, removed unless something untracked is in them by then.
    """

    writes: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    made_dirs: list[str] = field(default_factory=list)
    removed_dirs: list[str] = field(default_factory=list)


_KEEP_BYTES = 64 << 20  # verified contents kept for the writes, at most
_KEEP_ONE = 1 << 20  # and only of blobs up to this size (larger ones are streamed again)


@dataclass
class RestoreWork:
    """A plan with the snapshot entries its writes need (and the contents verified for them)."""

    plan: RestorePlan
    entries: dict[str, Entry]
    verified: dict[str, bytes] = field(default_factory=dict)


def make_plan(get: TreeGetter, current: str, target: str, names: ChangedNames | None = None) -> RestoreWork:
    """The writes and deletes that turn tree ``current`` into tree ``target``."""
    entries: dict[str, Entry] = {}
    deletes: list[str] = []
    skipped: list[SkippedFile] = []
    made_dirs: list[str] = []
    removed_dirs: list[str] = []
    for path, (old, new) in diff(get, current, target, names=names).items():
        if old is not None and old.kind == TREE:  # an empty directory the target has no directory at
            removed_dirs.append(path)
            old = None
        if new is not None and new.kind == TREE:  # an empty directory, made once what was there is gone
            made_dirs.append(path)
            new = None
        if new is None:
            if old is not None and old.kind != SKIPPED:
                deletes.append(path)
            elif old is not None:
                skipped.append(SkippedFile(path, f"over the size limit ({old.size} bytes), never stored: left in "
                                                 "place, though the snapshot has no such file"))
        elif new.kind != SKIPPED:
            entries[path] = new
        else:
            skipped.append(SkippedFile(path, f"over the size limit in the snapshot ({new.size} bytes), never "
                                             "stored: left as it is now"))
    plan = RestorePlan(
        sorted(entries), sorted(deletes, reverse=True), sorted(skipped, key=lambda s: s.path),
        sorted(made_dirs), sorted(removed_dirs, reverse=True),
    )
    return RestoreWork(plan, entries)


def verify_all(work: RestoreWork, blobs: BlobStore) -> None:
    """Check every needed blob (each once) before the first write.

    Small contents are kept, so the write does not read and hash them a second time
    (a blob never changes, and the caller holds off the collector until it is done).
    """
    checked: set[str] = set()
    kept = 0
    for path in work.plan.writes:
        entry = work.entries[path]
        if entry.kind != FILE or entry.hash is None or entry.hash in checked:
            continue
        try:
            if entry.size <= _KEEP_ONE and kept + entry.size <= _KEEP_BYTES:
                work.verified[entry.hash] = blobs.read(entry.hash)
                kept += entry.size
            else:
                blobs.verify(entry.hash)
        except IntegrityError as exc:
            raise IntegrityError(f"cannot restore {path!r}: {exc}") from None
        checked.add(entry.hash)


def apply_plan(
    work: RestoreWork,
    root: Path,
    blobs: BlobStore,
    on_file: OnFile | None,
    record: Record,
    trash: Trash | None = None,
) -> None:
    """Carry out a verified plan: deletions first (deepest first), then empty directories
    made, then writes (replaced files go to ``trash``, when given)."""
    with SafeRoot(root, trash) as fs:
        _apply(work, fs, blobs, on_file, record)


def _apply(work: RestoreWork, fs: SafeRoot, blobs: BlobStore, on_file: OnFile | None, record: Record) -> None:
    for path in work.plan.removed_dirs:
        fs.remove_empty_dir(path)
    for path in work.plan.deletes:
        fs.remove(path)
        record(path, None, None)
        if on_file is not None:
            on_file(path)
    for path in work.plan.made_dirs:
        fs.make_dir(path)
    for path in work.plan.writes:
        entry = work.entries[path]
        if entry.kind == SYMLINK:
            assert entry.target is not None
            fs.write_symlink(path, entry.target)
            record(path, None, entry)
        else:
            digest = entry.hash
            assert entry.kind == FILE and digest is not None
            try:
                st = fs.write_file(path, entry.mode, _filler(blobs, digest, work.verified.get(digest)))
            except IntegrityError as exc:
                raise IntegrityError(f"cannot restore {path!r}: {exc}") from None
            record(path, st, entry)
        if on_file is not None:
            on_file(path)


def _filler(blobs: BlobStore, digest: str, verified: bytes | None) -> Callable[[Write], None]:
    """Copy a blob into the temporary file; a mismatch raises before the rename."""

    def fill(write: Write) -> None:
        if verified is not None:
            write(verified)
        else:
            blobs.copy_to(digest, write)

    return fill


def refuse_data_dir(work: RestoreWork, data_rel: str | None) -> None:
    """A snapshot from elsewhere (a bundle) may hold paths where this target keeps WTB's data."""
    if data_rel is None:
        return
    for path in work.plan.writes + work.plan.made_dirs:
        if path == data_rel or path.startswith(data_rel + "/"):
            raise UnsafePathError(f"snapshot path {path!r} lies in WTB's data directory; refusing to restore it")
