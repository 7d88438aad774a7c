"""Tree objects: one per directory, named by the hash of their encoding (a Merkle tree).

A directory's tree lists its entries sorted by name, each ``(kind, hash, size, mode,
target, files)``; a subdirectory's entry carries the hash of its own tree. Changing
one file therefore changes only the trees on its path to the root: every other
directory keeps its hash and its stored row, and a snapshot is just a root hash.

The encoding is msgpack of plain lists with names and link targets as bytes
(``os.fsencode``), so it is deterministic and round-trips names that are not UTF-8.
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
from wtb.filetrack.hashing import hash_bytes

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


class _Row(NamedTuple):
    """One entry, encoded: sort key, msgpack bytes, and what it adds to its tree's totals."""

    raw: bytes
    packed: bytes
    size: int
    files: int


_ROW_CACHE_SIZE = 32_768  # ~10 MB; a 10,000-file workspace fits whole
_rows: dict[tuple[str, Entry], _Row] = {}
_pack = msgpack.Packer(use_bin_type=True).pack
_RAW = operator.itemgetter(0)


def _row(name: str, entry: Entry) -> _Row:
    raw = name.encode(_FS, "surrogateescape")
    kind, digest, size, mode, target, files = entry
    packed = _pack((raw, kind, digest, size, mode, None if target is None else os.fsencode(target), files))
    row = _Row(raw, packed, size if kind in _SIZED else 0, files)
    if len(_rows) >= _ROW_CACHE_SIZE:
        _rows.clear()
    _rows[(name, entry)] = row
    return row


def _array_header(count: int) -> bytes:
    if count < 16:
        return bytes((0x90 | count,))
    if count < 0x10000:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def seal_tree(tree: Tree) -> tuple[bytes, int, int]:
    """A tree's canonical bytes (entries sorted by raw name), stored bytes and tracked paths.

    An incremental snapshot re-encodes every directory on the path of a changed file,
    each with all its entries, though only one entry changed. Encoded entries are
    therefore cached (an :class:`Entry` is immutable and hashable) and the body is the
    msgpack array header followed by the entries' own encodings, byte for byte what
    ``msgpack.packb`` of the list gives.
    """
    cached = _rows.get
    rows = [cached(item) or _row(*item) for item in tree.items()]
    rows.sort(key=_RAW)  # trees are built in name order, so this is nearly a single pass
    body = _array_header(len(rows)) + b"".join([r.packed for r in rows])
    return body, sum([r.size for r in rows]), sum([r.files for r in rows])


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
