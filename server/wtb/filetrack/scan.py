"""Turning a directory into trees: a full walk, or an update of known paths.

:meth:`Scanner.full` walks everything tracked (``lstat`` each entry, never follow a
symlink) and re-reads only files whose stat differs from the index.
:meth:`Scanner.update` starts from a previous snapshot and re-examines only the paths
the watcher reported: only the trees on those paths are rebuilt, everything else keeps
its hash, so the cost follows what changed.

Both return the tree bodies they built and the index changes; the caller commits them
in one transaction. An empty directory is an empty tree of its own (git leaves it out):
a step's files include the folders it made for the next step to write into, and a
rollback brings them back. A directory holding only ignored things is left out.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wtb.filetrack.cas import BlobStore
from wtb.filetrack.errors import NotFoundError
from wtb.filetrack.hashing import hash_path
from wtb.filetrack.ignore import Rules
from wtb.filetrack.objects import (
    EMPTY_TREE,
    FILE,
    SKIPPED,
    SYMLINK,
    TREE,
    Entry,
    Rows,
    entry_row,
    in_name_order,
    pseudo_hash,
    seal_tree,
    tree_hash,
)
from wtb.filetrack.statindex import IndexDelta, StatIndex, StatRecord
from wtb.filetrack.trees import TreeStore, join

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    """A snapshot's root and everything needed to commit it."""

    root: str
    files: int
    size: int
    trees: dict[str, bytes] = field(default_factory=dict)
    decoded: dict[str, dict[str, Entry]] = field(default_factory=dict)
    rows: dict[str, Rows] = field(default_factory=dict)
    index: IndexDelta = field(default_factory=IndexDelta)
    hashed: int = 0
    #: Trees an update sealed from a predecessor: tree -> (predecessor, names re-examined).
    derived: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    #: An update's changed files from its base snapshot, as :func:`~wtb.filetrack.trees.changed_paths`
    #: gives them; None when a directory came or went (only a diff of the trees lists its files).
    changes: dict[str, str | None] | None = None


@dataclass
class _Node:
    """A trie of dirty paths: ``whole`` means re-examine this path and all below it."""

    whole: bool = False
    children: dict[str, _Node] = field(default_factory=dict)


class Scanner:
    """One scan of ``root``; ``store`` None hashes without storing (restore targets)."""

    def __init__(
        self, root: Path, rules: Rules, index: StatIndex, store: BlobStore | None, trees: TreeStore | None
    ) -> None:
        self._root = str(root)
        self._rules = rules
        self._index = index
        self._store = store
        self._trees = trees
        self._known: dict[str, StatRecord] = {}
        self._seen: set[str] = set()
        self._now = time.time_ns()
        self._result = ScanResult(EMPTY_TREE, 0, 0)

    def full(self, previous: str | None = None) -> ScanResult:
        """Walk the whole tree.

        ``previous``: a stored snapshot of the same directory (the caller keeps it from
        collection until the result is committed). A directory that scans to exactly its
        tree there keeps that tree, unencoded and unwritten: a walk then pays for reading
        the directories, not for re-sealing every one of them.
        """
        self._known = self._index.load(None)
        tree = self._scan_dir(self._root, "", self._stored(previous))
        return self._finish(tree)

    def _stored(self, digest: str | None) -> Mapping[str, Entry] | None:
        if digest is None or self._trees is None:
            return None
        try:
            return self._trees.get(digest)
        except NotFoundError:
            return None

    def update(self, base: str, dirty: Iterable[str]) -> ScanResult:
        """Apply re-examined ``dirty`` paths to the snapshot ``base``."""
        assert self._trees is not None
        self._result.changes = {}
        trie = _Node()
        for path in dirty:
            node = trie
            for part in path.split("/"):
                if node.whole:
                    break
                node = node.children.setdefault(part, _Node())
            else:
                node.whole = True
                node.children.clear()
        tree, rows = self._update_dir(base, "", trie)
        result = self._finish(tree, rows)
        self._derive(result.root, base, trie)
        return result

    def _derive(self, digest: str, base: str | None, node: _Node) -> None:
        if base and digest != base:
            self._result.derived[digest] = (base, frozenset(node.children))

    def _finish(self, tree: dict[str, Entry], rows: Rows | None = None) -> ScanResult:
        result = self._result
        body, result.size, result.files, rows = seal_tree(tree, rows)
        result.root = tree_hash(body)
        result.trees[result.root] = body
        result.decoded[result.root] = tree
        result.rows[result.root] = rows
        result.index.deletes = set(self._known) - self._seen
        return result

    def _update_dir(self, digest: str | None, rel_dir: str, node: _Node) -> tuple[dict[str, Entry], Rows | None]:
        """The tree ``digest`` with the dirty names below it re-examined, and its entries' rows
        (None when they are not cached: sealing encodes them all then).

        A directory with dirty paths below it is entered without checking that it is
        still one: replacing or removing it sends an event that names it in its parent,
        which marks it ``whole`` (re-examined as it is now), and a dirty set comes only
        from a watcher that lost no event since the base snapshot.
        """
        assert self._trees is not None
        tree = dict(self._trees.get(digest)) if digest else {}
        cached = self._trees.rows(digest) if digest else {}
        rows = None if cached is None else dict(cached)
        added = False
        for name, child in node.children.items():
            rel = join(rel_dir, name)
            old = tree.get(name)
            if child.whole or old is None or old.kind != TREE:
                new = self._rescan(rel, old is not None and old.kind == TREE)
                self._note_change(rel, old, new)
            else:
                sub, sub_rows = self._update_dir(old.hash, rel, child)
                new = self._directory(f"{self._root}/{rel}", sub, sub_rows)  # still a directory (see above)
                if new is not None:
                    self._derive(str(new.hash), old.hash, child)
            if new is None:
                tree.pop(name, None)
                if rows is not None:
                    rows.pop(name, None)
            else:
                tree[name] = new
                if rows is not None:
                    added = added or name not in rows
                    rows[name] = entry_row(name, new)
        return tree, in_name_order(rows) if rows is not None and added else rows

    def _note_change(self, rel: str, old: Entry | None, new: Entry | None) -> None:
        """Keep the update's list of changed files (see :attr:`ScanResult.changes`)."""
        changes = self._result.changes
        if changes is None:
            return
        if (old is not None and old.kind == TREE) or (new is not None and new.kind == TREE):
            self._result.changes = None
        elif old != new:
            changes[rel] = None if new is None else pseudo_hash(new)

    def _rescan(self, rel: str, was_dir: bool) -> Entry | None:
        """Examine one path afresh (and everything below it, for a directory).

        The index records below a directory that was or is there are loaded so that the
        ones no longer seen are deleted; a file needs only its own record.
        """
        path = f"{self._root}/{rel}"
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            self._known.update(self._index.load(rel))
            return None
        if was_dir or stat.S_ISDIR(st.st_mode):
            self._known.update(self._index.load(rel))
        elif (known := self._index.get(rel)) is not None:
            self._known[rel] = known
        if stat.S_ISDIR(st.st_mode):
            if self._rules.excluded(rel, True):
                return None
            return self._directory(path, self._scan_dir(path, rel))
        if self._rules.excluded(rel, False):
            return None
        try:
            return self._leaf(path, rel, st)
        except FileNotFoundError:
            return None

    def _scan_dir(self, path: str, rel_dir: str, before: Mapping[str, Entry] | None = None) -> dict[str, Entry]:
        """The entries of one directory; ``before``: its tree in the previous snapshot, if any."""
        tree: dict[str, Entry] = {}
        try:
            with os.scandir(path) as it:
                items = list(it)
        except (FileNotFoundError, NotADirectoryError):
            return tree
        except PermissionError:
            log.warning("cannot list %s; its files are not tracked", path)
            return tree
        excluded = self._rules.entry_filter(rel_dir, {item.name for item in items})
        prefix = rel_dir + "/" if rel_dir else ""
        known_get, seen_add, max_size = self._known.get, self._seen.add, self._rules.max_size
        for item in items:
            name = item.name
            rel = prefix + name
            try:
                is_dir = item.is_dir(follow_symlinks=False)
                if excluded(rel, name, is_dir):
                    continue
                if is_dir:
                    old = before.get(name) if before is not None else None
                    old_tree = self._stored(old.hash) if old is not None and old.kind == TREE else None
                    sub = self._scan_dir(item.path, rel, old_tree)
                    if sub and old is not None and sub == old_tree:
                        tree[name] = old
                    elif (folder := self._directory(item.path, sub)) is not None:
                        tree[name] = folder
                    continue
                st = item.stat(follow_symlinks=False)
                # The common case inline: a regular file whose stat the index vouches for.
                if stat.S_ISREG(st.st_mode) and st.st_size <= max_size:
                    known = known_get(rel)
                    if known is not None and known.matches(st):
                        seen_add(rel)
                        tree[name] = Entry(FILE, known.hash, st.st_size, st.st_mode & 0o777)
                        continue
                entry = self._leaf(item.path, rel, st)
            except FileNotFoundError:
                continue
            if entry is not None:
                tree[name] = entry
        return tree

    def _leaf(self, path: str, rel: str, st: os.stat_result) -> Entry | None:
        mode = st.st_mode
        if stat.S_ISLNK(mode):
            target = os.readlink(path)
            return Entry(SYMLINK, None, len(os.fsencode(target)), 0o777, target)
        if not stat.S_ISREG(mode):
            return None  # fifos, sockets, devices: not workspace content
        perm = stat.S_IMODE(mode) & 0o777
        if st.st_size > self._rules.max_size:
            return Entry(SKIPPED, None, st.st_size, perm)
        self._seen.add(rel)
        known = self._known.get(rel)
        if known is not None and known.matches(st):
            return Entry(FILE, known.hash, st.st_size, perm)
        try:
            if self._store is None:
                digest, size = hash_path(path)
            else:
                # A path the index knew whose stat changed: its content is most likely new.
                # An unknown path may well be stored already (a copy, a materialised workspace).
                changed = known is not None
                digest, size = self._store.add_file(path, changed=changed, previous=known and known.hash)
        except PermissionError:
            log.warning("cannot read %s; recorded as skipped", path)
            return Entry(SKIPPED, None, st.st_size, perm)
        self._result.hashed += 1
        if size == st.st_size:
            self._result.index.puts[rel] = StatRecord.of(st, digest, self._now)
        return Entry(FILE, digest, size, perm)

    def _directory(self, path: str, tree: dict[str, Entry], rows: Rows | None = None) -> Entry | None:
        """A scanned directory's entry: its tree; for one with nothing tracked in it, an empty
        tree if nothing at all is in it, else none (only ignored things: no content of the
        workspace, and nothing a restore could make or remove)."""
        if tree or _is_empty_dir(path):
            return self._seal(tree, rows)
        return None

    def _seal(self, tree: dict[str, Entry], rows: Rows | None = None) -> Entry:
        """Store a directory's tree body and return the entry its parent lists."""
        body, size, count, rows = seal_tree(tree, rows)
        digest = tree_hash(body)
        self._result.trees[digest] = body
        self._result.decoded[digest] = tree
        self._result.rows[digest] = rows
        return Entry(TREE, digest, size, 0, None, count)


def _is_empty_dir(path: str) -> bool:
    try:
        with os.scandir(path) as it:
            return next(it, None) is None
    except OSError:
        return False
