"""Bundles: snapshots moved between data directories (Ray workers -> the driver).

A bundle is one msgpack document: the snapshot roots with their totals, every tree
reachable from them, and the blobs the receiver does not have yet (``known_blobs``
lets the driver say which it has). Everything is verified on import: tree bodies and
blobs against their hashes, tree names for path safety, and completeness (every blob
the roots reference must exist after the import). Bundles are held in memory, which
suits a batch's outputs; workspaces of many gigabytes would need a streaming format.
"""

from __future__ import annotations

import time
from typing import Any

import msgpack

from wtb.filetrack.cas import BlobStore
from wtb.filetrack.db import Database
from wtb.filetrack.errors import IntegrityError, InvalidArgumentError, NotFoundError
from wtb.filetrack.hashing import hash_bytes, is_hash
from wtb.filetrack.objects import decode_tree, tree_hash
from wtb.filetrack.trees import Overlay, TreeStore, reachable

FORMAT = "wtb-filetrack-bundle"
VERSION = 1


def export_bundle(
    db: Database, trees: TreeStore, blobs: BlobStore, roots: list[str], known_blobs: set[str] | None
) -> bytes:
    """Pack the given snapshots with their trees and the blobs not in ``known_blobs``."""
    known = known_blobs or set()
    with db.read() as cur:
        try:
            tree_set, blob_set = reachable(lambda digest: trees.get(digest, cur), roots, strict=True)
        except IntegrityError as exc:
            raise NotFoundError(f"cannot export snapshots {roots}: {exc}") from None
        bodies = [
            [row[0], bytes(row[1])]
            for digest in sorted(tree_set)
            for row in cur.execute("SELECT hash, body FROM trees WHERE hash = ?", (digest,))
        ]
        totals = {
            row[0]: (row[1], row[2])
            for root in roots
            for row in cur.execute("SELECT root, files, bytes FROM snapshots WHERE root = ?", (root,))
        }
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "roots": [[r, *totals.get(r, (0, 0))] for r in roots],
        "trees": bodies,
        "blobs": [[d, blobs.read(d)] for d in sorted(blob_set - known)],
    }
    return msgpack.packb(doc, use_bin_type=True)


def import_bundle(db: Database, trees: TreeStore, blobs: BlobStore, data: bytes) -> list[str]:
    """Verify and store a bundle's contents; returns its snapshot roots."""
    doc = msgpack.unpackb(data, raw=False)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise InvalidArgumentError("not a WTB file-tracking bundle (or a newer version of one)")
    bodies: dict[str, bytes] = {}
    for digest, body in doc["trees"]:
        if tree_hash(body) != digest:
            raise IntegrityError(f"bundle tree {digest} does not match its content")
        decode_tree(body)  # validates names
        bodies[digest] = body
    for digest, content in doc["blobs"]:
        if not is_hash(digest) or hash_bytes(content) != digest:
            raise IntegrityError(f"bundle blob {digest} does not match its content")
    roots = [str(r[0]) for r in doc["roots"]]
    _, needed = reachable(Overlay(trees, bodies).get, roots, strict=True)
    shipped = {d for d, _ in doc["blobs"]}
    absent = [d for d in needed if d not in shipped and not blobs.exists(d)]
    if absent:
        raise IntegrityError(f"bundle lacks {len(absent)} blob(s) this data directory does not have, e.g. {absent[0]}")
    for _, content in doc["blobs"]:
        blobs.add_bytes(content)
    now = time.time()
    with db.write() as cur:
        trees.put_many(cur, bodies)
        cur.executemany(
            "INSERT INTO snapshots (root, created_at, touched_at, files, bytes) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(root) DO UPDATE SET touched_at = excluded.touched_at",
            [(str(r[0]), now, now, int(r[1]), int(r[2])) for r in doc["roots"]],
        )
    return roots
