"""Tree objects: one per directory, named by the hash of their encoding (a Merkle tree).

A directory's tree lists its entries sorted by name, each ``(kind, hash, size, mode,
target, files)``; a subdirectory's entry carries the hash of its own tree. Changing
one file therefore changes only the trees on its path to the root: every other
directory keeps its hash and its stored row, and a snapshot is just a root hash.

The encoding is msgpack of plain lists with names and link targets as bytes
(``os.fsencode``), so it is deterministic and round-trips names that are not UTF-8.
Content hashes are stored as their 32 raw bytes (a third of a tree's size, and so of
what each snapshot writes to SQLite, compared with hex text); trees written before
that hold them as hex text, and both decode to the same entries.
For a subdirectory, ``size`` is the bytes of stored files below it and ``files`` the
number of tracked paths (files, links, skipped files), so snapshot totals need no walk.
"""

from __future__ import annotations

import operator
import os
import sys
from collections.abc import Mapping
from typing import NamedTuple

import msgpack

from wtb.filetrack.errors import IntegrityError
from wtb.filetrack.hashing import HEX_LEN, hash_bytes

HASH_BYTES = HEX_LEN // 2
TREE = "tree"
FILE = "file"
SYMLINK = "symlink"
SKIPPED = "skipped"
_KINDS = frozenset((TREE, FILE, SYMLINK, SKIPPED))
_SIZED = frozenset((TREE, FILE))
_FS = sys.getfilesystemencoding()


class Entry(NamedTuple):
    """One name inside a tree (a NamedTuple: trees of thousands of entries decode fast)."""

    kind: str
    hash: str | None
    size: int
    mode: int = 0
    target: str | None = None
    files: int = 1


Tree = Mapping[str, Entry]


class Row(NamedTuple):
    """One entry, encoded: sort key, msgpack bytes, and what it adds to its tree's totals."""

    raw: bytes
    packed: bytes
    size: int
    files: int


Rows = dict[str, Row]
_PACKED, _SIZE, _FILES = (operator.itemgetter(i) for i in (1, 2, 3))  # Row's fields, read in C
_pack = msgpack.Packer(use_bin_type=True).pack


def _ROW_RAW(item: tuple[str, Row]) -> bytes:
    return item[1].raw


def entry_row(name: str, entry: Entry) -> Row:
    """The encoding of one entry of a tree."""
    raw = name.encode(_FS, "surrogateescape")
    kind, digest, size, mode, target, files = entry
    binary = None if digest is None else bytes.fromhex(digest)
    packed = _pack((raw, kind, binary, size, mode, None if target is None else os.fsencode(target), files))
    return Row(raw, packed, size if kind in _SIZED else 0, files)


def _array_header(count: int) -> bytes:
    if count < 16:
        return bytes((0x90 | count,))
    if count < 0x10000:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def seal_tree(tree: Tree, rows: Rows | None = None) -> tuple[bytes, int, int, Rows]:
    """A tree's canonical bytes (entries sorted by raw name), stored bytes, tracked paths and rows.

    An incremental snapshot re-encodes every directory on the path of a changed file,
    each with all its entries, though only one entry changed. The caller therefore
    passes the rows of the tree it started from, with the changed entries re-encoded,
    in name order (``rows`` must match ``tree``: see :func:`in_name_order`); the body is
    the msgpack array header followed by the rows' bytes, byte for byte what
    ``msgpack.packb`` of the list gives.
    """
    if rows is None:
        rows = in_name_order({name: entry_row(name, entry) for name, entry in tree.items()})
    ordered = rows.values()
    body = _array_header(len(rows)) + b"".join(map(_PACKED, ordered))
    return body, sum(map(_SIZE, ordered)), sum(map(_FILES, ordered)), rows


def in_name_order(rows: Rows) -> Rows:
    """``rows`` ordered by raw name, as a tree lists them. Replacing or removing a row keeps
    a dict's order, so only an update that adds a name needs this again."""
    return dict(sorted(rows.items(), key=_ROW_RAW))


def encode_tree(tree: Tree) -> bytes:
    """The canonical bytes of a tree (sorted by the raw name bytes)."""
    return seal_tree(tree)[0]


def decode_tree(body: bytes) -> dict[str, Entry]:
    """Parse a tree, refusing names that could step out of their directory.

    Trees arrive in bundles from other machines, so a name is validated here, once,
    instead of trusting every later ``os.path.join``.
    """
    tree: dict[str, Entry] = {}
    for raw, kind, digest, size, mode, target, files in msgpack.unpackb(body, raw=False):
        name = raw.decode(_FS, "surrogateescape")
        if name in ("", ".", "..") or "/" in name or "\0" in name or kind not in _KINDS:
            raise IntegrityError(f"tree contains an invalid entry {name!r} ({kind})")
        if isinstance(digest, bytes):
            if len(digest) != HASH_BYTES:
                raise IntegrityError(f"tree entry {name!r} has a {len(digest)}-byte hash")
            digest = digest.hex()
        tree[name] = Entry(kind, digest, size, mode, None if target is None else os.fsdecode(target), files)
    return tree


def tree_hash(body: bytes) -> str:
    return hash_bytes(body)


EMPTY_TREE_BODY = encode_tree({})
EMPTY_TREE = tree_hash(EMPTY_TREE_BODY)


def pseudo_hash(entry: Entry) -> str | None:
    """A stable string that changes when the entry's recorded content changes.

    Files use their content hash; links and skipped files have no blob, so their
    identity is spelled out (``link:<target>``, ``skipped:<size>``).
    """
    if entry.kind == SYMLINK:
        return f"link:{entry.target}"
    if entry.kind == SKIPPED:
        return f"skipped:{entry.size}"
    return entry.hash
