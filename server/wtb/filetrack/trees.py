"""Reading Merkle trees: load, list, look up, diff and trace reachability.

Trees are immutable (named by their content), so decoded trees are cached freely;
the cache can only ever hold a tree that the GC has since deleted, and callers that
build on a tree check that its snapshot still exists first (see ``service``).
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping

from wtb.filetrack.db import Database
from wtb.filetrack.errors import IntegrityError, NotFoundError
from wtb.filetrack.objects import EMPTY_TREE, TREE, Entry, Rows, Tree, decode_tree, pseudo_hash, tree_hash

# Decoded trees, and the encoded entries of the trees sealed last (those an update re-seals).
# Each costs ~25 KB for a directory of 100 entries; below 2,048 directories (~200,000
# files) every tree of the workspace stays cached and a snapshot re-encodes only the
# entries it changed. With 512 sealed trees, a 100,000-file workspace (1,000 folders)
# re-encoded whole directories at most snapshots: 10 changed files cost 11-18 ms instead of 6.6.
_CACHE_SIZE = 2048
_ROWS_CACHE_SIZE = 2048
_DERIVED_SIZE = 8192  # trees whose predecessor this process knows (see TreeStore.derived)

Change = tuple[Entry | None, Entry | None]
TreeGetter = Callable[[str], Tree]
#: For two trees, the names that can differ between them when that is known (else None).
ChangedNames = Callable[[str, str], "Iterable[str] | None"]


class TreeStore:
    """Tree rows of ``filetrack.db`` with an LRU cache of decoded trees."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: OrderedDict[str, dict[str, Entry]] = OrderedDict()
        self._rows: OrderedDict[str, Rows] = OrderedDict()
        self._derived: OrderedDict[str, tuple[str, frozenset[str]]] = OrderedDict()

    def get(self, digest: str, cur: sqlite3.Cursor | None = None) -> Tree:
        """A decoded tree; NotFoundError when no such tree is stored.

        Pass ``cur`` to read inside an open transaction (the GC's).
        """
        if digest == EMPTY_TREE:
            return {}
        cached = self._cache.get(digest)
        if cached is not None:
            self._cache.move_to_end(digest)
            return cached
        sql = "SELECT body FROM trees WHERE hash = ?"
        row = self._db.one(sql, (digest,)) if cur is None else cur.execute(sql, (digest,)).fetchone()
        if row is None:
            raise NotFoundError(f"no snapshot or tree {digest} in this data directory")
        assert isinstance(row[0], bytes)
        tree = self._decode(digest, row[0])
        self._remember(digest, tree)
        return tree

    def remember(self, digest: str, tree: dict[str, Entry], rows: Rows | None = None) -> None:
        """Cache a tree this process just built and committed (saves decoding it next time)
        and its encoded entries (saves re-encoding the unchanged ones when it is re-sealed)."""
        self._remember(digest, tree)
        if rows is not None:
            self._rows[digest] = rows
            if len(self._rows) > _ROWS_CACHE_SIZE:
                self._rows.popitem(last=False)

    def rows(self, digest: str) -> Rows | None:
        """The encoded entries of a tree sealed lately, if still cached (do not modify them)."""
        rows = self._rows.get(digest)
        if rows is not None:
            self._rows.move_to_end(digest)
        return rows

    def derived(self, links: Mapping[str, tuple[str, frozenset[str]]]) -> None:
        """Note trees an update sealed from a predecessor: tree -> (predecessor, the names
        it re-examined). Every other name holds the predecessor's entry, so a diff of the
        two (a rollback to the checkpoint before, a checkpoint's changed files) looks
        at those names only instead of at whole directories."""
        derived = self._derived
        derived.update(links)
        while len(derived) > _DERIVED_SIZE:
            derived.popitem(last=False)

    def changed_names(self, a: str, b: str) -> frozenset[str] | None:
        """The names that can differ between trees ``a`` and ``b``, if one was sealed from the other."""
        for tree, other in ((b, a), (a, b)):
            link = self._derived.get(tree)
            if link is not None and link[0] == other:
                return link[1]
        return None

    def clear_cache(self) -> None:
        self._cache.clear()
        self._rows.clear()
        self._derived.clear()

    def put_many(self, cur: sqlite3.Cursor, bodies: Mapping[str, bytes]) -> int:
        """Insert tree rows that are not stored yet; returns how many were new."""
        before = cur.connection.total_changes
        cur.executemany(
            "INSERT OR IGNORE INTO trees (hash, body) VALUES (?, ?)", list(bodies.items())
        )
        return cur.connection.total_changes - before

    def _decode(self, digest: str, body: bytes) -> dict[str, Entry]:
        body = bytes(body)
        if tree_hash(body) != digest:
            raise IntegrityError(f"tree {digest} is corrupt in filetrack.db")
        return decode_tree(body)

    def _remember(self, digest: str, tree: dict[str, Entry]) -> None:
        self._cache[digest] = tree
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)


def join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


class Overlay:
    """Trees not committed yet (a scan of a restore target) in front of the stored ones."""

    def __init__(self, store: TreeStore, bodies: Mapping[str, bytes]) -> None:
        self._store = store
        self._bodies = bodies

    def get(self, digest: str) -> Tree:
        body = self._bodies.get(digest)
        return self._store.get(digest) if body is None else decode_tree(body)


def iter_leaves(get: TreeGetter, root: str, prefix: str = "") -> Iterator[tuple[str, Entry]]:
    """Every tracked path below a tree with its entry, in name order."""
    for name, entry in sorted(get(root).items()):
        path = join(prefix, name)
        if entry.kind == TREE:
            assert entry.hash is not None
            yield from iter_leaves(get, entry.hash, path)
        else:
            yield path, entry


def lookup(get: TreeGetter, root: str, path: str) -> Entry | None:
    """The entry at a normalised relative path, or None."""
    digest: str | None = root
    entry: Entry | None = None
    for name in path.split("/"):
        if digest is None:
            return None
        entry = get(digest).get(name)
        if entry is None:
            return None
        digest = entry.hash if entry.kind == TREE else None
    return entry


def diff(
    get: TreeGetter, old: str | None, new: str | None, prefix: str = "", names: ChangedNames | None = None
) -> dict[str, Change]:
    """Leaf paths (and empty directories, see :func:`_differ`) whose entry differs:
    path -> (old entry, new entry), None for absent.

    Only subtrees whose hashes differ are opened, so the cost follows what changed;
    within a directory, ``names`` (see :meth:`TreeStore.changed_names`) may tell which
    entries to compare, else all are.
    """
    out: dict[str, Change] = {}
    if old == new:
        return out
    a = get(old) if old else {}
    b = get(new) if new else {}
    known = names(old, new) if names is not None and old and new else None
    if known is not None:
        for name in sorted(known):
            x, y = a.get(name), b.get(name)
            if x != y:
                _differ(get, join(prefix, name), x, y, out, names)
        return out
    in_both = 0
    for name, x in a.items():
        y = b.get(name)
        if y is not None:
            in_both += 1
        # A tree re-sealed from its predecessor shares the unchanged Entry objects.
        if x is not y and x != y:
            _differ(get, join(prefix, name), x, y, out, names)
    if in_both < len(b):  # names only the new tree has
        for name, y in b.items():
            if name not in a:
                _differ(get, join(prefix, name), None, y, out, names)
    return out


def _differ(
    get: TreeGetter, path: str, x: Entry | None, y: Entry | None, out: dict[str, Change], names: ChangedNames | None
) -> None:
    """Record one differing name: its leaves, or the leaves below it for a directory.

    An empty directory has no leaf to stand for it, so it is a path of its own (its entry a
    ``TREE``): where only the new side has it (made, or what a file or a directory with
    content became), and where only the old side has it and the new has no directory there.
    """
    x_tree = x is not None and x.kind == TREE
    y_tree = y is not None and y.kind == TREE
    x_empty = x is not None and x_tree and x.hash == EMPTY_TREE
    y_empty = y is not None and y_tree and y.hash == EMPTY_TREE
    if x_tree or y_tree:
        out.update(diff(get, x.hash if x_tree and x else None, y.hash if y_tree and y else None, path, names))
    if not x_tree and x is not None:
        out[path] = (x, y if y_empty or not y_tree else None)
    elif not y_tree and y is not None:
        out[path] = (x if x_empty else None, y)
    elif y_empty and not x_empty:
        out[path] = (None, y)
    elif x_empty and y is None:
        out[path] = (x, None)


def reachable(get: TreeGetter, roots: Iterable[str], *, strict: bool = False) -> tuple[set[str], set[str]]:
    """(tree hashes, blob hashes) reachable from snapshot roots; each tree visited once.

    Unless ``strict``, a tree that is unknown (a link to a snapshot of another data
    directory) is skipped rather than failing the whole collection.
    """
    trees: set[str] = set()
    blobs: set[str] = set()
    stack = [r for r in roots]
    while stack:
        digest = stack.pop()
        if digest in trees:
            continue
        try:
            tree = get(digest)
        except NotFoundError:
            if strict:
                raise IntegrityError(f"tree {digest} is missing") from None
            continue
        trees.add(digest)
        for entry in tree.values():
            if entry.kind == TREE and entry.hash is not None:
                stack.append(entry.hash)
            elif entry.hash is not None:
                blobs.add(entry.hash)
    return trees, blobs


def changed_paths(
    get: Callable[[str], Mapping[str, Entry]], old: str | None, new: str, names: ChangedNames | None = None
) -> dict[str, str | None]:
    """path -> new pseudo-hash (None: deleted) from snapshot ``old`` to ``new`` (``old`` None: all),
    for files and links (a directory made or removed is no file of the step)."""
    changes = diff(get, old, new, names=names)
    return {
        path: None if after is None or after.kind == TREE else pseudo_hash(after)
        for path, (before, after) in changes.items()
        if (before is not None and before.kind != TREE) or (after is not None and after.kind != TREE)
    }
