"""Content hashes: BLAKE3, hex-encoded.

BLAKE3 is cryptographic (a blob name can be trusted as its content) and ~4x faster
than SHA-256 on this hardware (see ``docs/filetrack.md``), so hashing is never the
bottleneck of a snapshot: reading the files is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import BinaryIO

from blake3 import blake3

HASH_NAME = "blake3"
HEX_LEN = 64
CHUNK = 1 << 20
_HEX_RE = re.compile(r"[0-9a-f]{64}")


def hash_bytes(data: bytes) -> str:
    """The hex digest of ``data``."""
    return blake3(data).hexdigest()


def new_hasher() -> blake3:
    """An incremental hasher for streamed content."""
    return blake3()


def is_hash(value: str) -> bool:
    """Whether ``value`` looks like one of our digests (guards paths built from hashes)."""
    return _HEX_RE.fullmatch(value) is not None


def hash_path(path: str | os.PathLike[str]) -> tuple[str, int]:
    """Hash a regular file without following a final symlink; returns (digest, size)."""
    hasher = blake3()
    size = 0
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb", buffering=0) as f:
        for chunk in read_chunks(f):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def read_chunks(f: BinaryIO) -> Iterator[bytes]:
    """A file's content in chunks of at most ``CHUNK`` bytes, the first sized to the file.

    ``read(CHUNK)`` allocates ``CHUNK`` bytes before reading, which for the small files
    that make up most workspaces costs more than the read itself.
    """
    first = min(os.fstat(f.fileno()).st_size, CHUNK) + 1
    chunk = f.read(first)
    while chunk:
        yield chunk
        chunk = f.read(CHUNK)
