"""The blob store: file contents named by their BLAKE3 hash, written once.

Layout follows git and dvc-objects: ``<root>/ab/cdef…`` (the first two hex digits
as a folder keeps directories small). A blob is written to a temporary file in its
final folder and renamed into place, so a reader sees either nothing or the whole
content; it is created read-only (``0o444``) and never modified afterwards.

Every read is verified against the name: a disk error, a truncated write after a
power loss or a hand edit shows up as :class:`IntegrityError`, never as silently
wrong content. Blobs are not fsynced (that would cost a disk flush per file); the
verification is what makes that safe. Small contents read and verified lately are kept
in memory (8 MiB in all): a blob never changes, and rolling back and forth between
recent checkpoints reads the same few blobs again and again.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from wtb.datafs import open_path
from wtb.filetrack.errors import IntegrityError, InvalidArgumentError
from wtb.filetrack.fdio import read_up_to, write_all
from wtb.filetrack.hashing import CHUNK, hash_bytes, is_hash, new_hasher, read_chunks
from wtb.filetrack.spares import SpareFiles

_RECENT = 4096  # digests a store remembers having stored (see BlobStore._remember)
_SMALL = 4 << 20  # files up to this size are read whole: one read, no temp file if known
_TMP_PREFIX = ".tmp-"
_KEEP_ONE = 256 << 10  # verified contents up to this size are kept in memory
_KEEP_ALL = 8 << 20  # up to this much in all, least recently read first out
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# Blobs are read without following a link and without waiting on a FIFO planted in their place.
_READ_FLAGS = os.O_RDONLY | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class BlobStore:
    """A content-addressed store of immutable byte strings on the local disk."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        os.close(open_path(self.root.parent, [self.root.name], create=True))  # a real folder, not a link
        self._root = str(self.root)
        self._shards: set[str] = set()  # shard folders seen to be real folders (see _shard)
        self._spares = SpareFiles(self._shard("tmp"), _TMP_PREFIX)
        self._spares_used = False  # since the last refill_spares
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._kept: OrderedDict[str, bytes] = OrderedDict()  # see read()
        self._kept_bytes = 0
        self._kept_lock = threading.Lock()

    def close(self) -> None:
        """Remove the empty files made ahead (see ``spares.py``)."""
        self._spares.close()

    def path(self, digest: str) -> Path:
        """Where blob ``digest`` lives; refuses anything that is not a digest (bundles are input)."""
        if not is_hash(digest):
            raise InvalidArgumentError(f"not a content hash: {digest!r}")
        return self.root / digest[:2] / digest[2:]

    def _file(self, digest: str) -> str:
        """:meth:`path` as a string (no ``Path`` objects on the read path of a restore)."""
        if not is_hash(digest):
            raise InvalidArgumentError(f"not a content hash: {digest!r}")
        return f"{self._root}/{digest[:2]}/{digest[2:]}"

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def add_bytes(self, data: bytes, *, changed: bool = False, previous: str | None = None) -> str:
        """Store ``data``; returns its digest. Storing existing content only freshens it.

        This is on the path of every snapshot that saw a new file, so it works on string
        paths and spends the fewest system calls it can: a touch when the blob exists,
        else create a temporary file (its shard folder only when that fails), write, rename.

        ``changed``: the caller read this from a file it saw change (from ``previous``,
        its digest before, if any). Unless the content is ``previous`` again, it is then
        written without first probing for it: for a changed file the probe nearly always
        fails, and renaming a fresh copy over an identical blob is harmless (same bytes,
        new mtime).
        """
        digest = hash_bytes(data)
        shard = f"{self._root}/{digest[:2]}"
        final = f"{shard}/{digest[2:]}"
        probe = not changed or digest == previous or digest in self._recent
        if not (probe and _freshen(final)):
            self._publish(shard, final, [data])
        self._remember(digest)
        return digest

    def _remember(self, digest: str) -> None:
        """Note a digest stored lately: content that comes back (many files given the same
        bytes, a file edited back and forth) is probed, not copied over its blob again,
        which costs a rename over an existing file (ext4 then flushes the new data)."""
        recent = self._recent
        recent[digest] = None
        recent.move_to_end(digest)
        if len(recent) > _RECENT:
            recent.popitem(last=False)

    def add_file(
        self, path: str | os.PathLike[str], *, changed: bool = False, previous: str | None = None
    ) -> tuple[str, int]:
        """Store a regular file's content (a final symlink is refused); returns (digest, size).

        Small files are read whole and written only when new (``changed`` and
        ``previous`` as in :meth:`add_bytes`). Large ones are copied to a temporary blob
        while they are hashed, so they are read once and never held in memory.
        """
        fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC)
        try:
            # Read the size the file has (+1 to notice it growing): a read of _SMALL bytes
            # would allocate 4 MB for every 2 KB file.
            expected = min(os.fstat(fd).st_size, _SMALL)
            head = read_up_to(fd, expected)
            if len(head) <= expected:
                return self.add_bytes(head, changed=changed, previous=previous), len(head)
            src, fd = os.fdopen(fd, "rb", buffering=0), -1
        finally:
            if fd >= 0:
                os.close(fd)
        with src:
            return self._add_stream(head, src)

    def read(self, digest: str) -> bytes:
        """The verified content of a blob (from memory when it was read lately)."""
        with self._kept_lock:
            kept = self._kept.get(digest)
            if kept is not None:
                self._kept.move_to_end(digest)
                return kept
        data = self._read(digest)
        if len(data) <= _KEEP_ONE:
            self._keep(digest, data)
        return data

    def _keep(self, digest: str, data: bytes) -> None:
        with self._kept_lock:
            kept = self._kept
            if kept.setdefault(digest, data) is data:
                self._kept_bytes += len(data)
            while self._kept_bytes > _KEEP_ALL:
                self._kept_bytes -= len(kept.popitem(last=False)[1])

    def _read(self, digest: str) -> bytes:
        try:
            fd = os.open(self._file(digest), _READ_FLAGS)
        except (FileNotFoundError, IsADirectoryError, OSError) as exc:
            raise IntegrityError(f"blob {digest} is missing from the store ({exc.strerror})") from None
        try:
            data = read_up_to(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
        actual = hash_bytes(data)
        if actual != digest:
            raise IntegrityError(f"blob {digest} is corrupt (its content hashes to {actual})")
        return data

    def verify(self, digest: str) -> int:
        """Stream-check one blob without keeping it in memory; returns its size."""
        return self.copy_to(digest, None)

    def copy_to(self, digest: str, write: Callable[[bytes], object] | None) -> int:
        """Stream a blob into ``write`` while hashing it; raises after the copy when it does not match.

        The caller writes into a temporary file and only renames it into place when this
        returns, so unverified content never replaces a real file.
        """
        hasher = new_hasher()
        size = 0
        try:
            fd = os.open(self._file(digest), _READ_FLAGS)
        except OSError as exc:
            raise IntegrityError(f"blob {digest} is missing from the store ({exc.strerror})") from None
        with os.fdopen(fd, "rb", buffering=0) as src:
            for chunk in read_chunks(src):
                hasher.update(chunk)
                size += len(chunk)
                if write is not None:
                    write(chunk)
        actual = hasher.hexdigest()
        if actual != digest:
            raise IntegrityError(f"blob {digest} is corrupt (its content hashes to {actual})")
        return size

    def size(self, digest: str) -> int:
        return self.path(digest).stat().st_size

    def delete(self, digest: str) -> int:
        """Remove a blob (only the garbage collector should); returns the bytes freed."""
        final = self.path(digest)
        with self._kept_lock:
            kept = self._kept.pop(digest, None)
            if kept is not None:
                self._kept_bytes -= len(kept)
        try:
            size = final.stat().st_size
            final.unlink()
        except FileNotFoundError:
            return 0
        return size

    def iter(self) -> Iterator[str]:
        """Every stored digest, in no particular order."""
        for digest, _ in self.iter_stat():
            yield digest

    def iter_stat(self) -> Iterator[tuple[str, os.stat_result]]:
        """Every stored digest with its stat (size for stats, mtime for the GC grace period)."""
        for shard in _scandir(self.root):
            if len(shard.name) != 2 or not shard.is_dir(follow_symlinks=False):
                continue
            for item in _scandir(shard.path):
                digest = shard.name + item.name
                if is_hash(digest):
                    with contextlib.suppress(FileNotFoundError):
                        yield digest, item.stat(follow_symlinks=False)

    def remove_stale_temps(self, older_than: float) -> int:
        """Delete temporary files of writers that died before renaming (older than a timestamp);
        this store's own files made ahead are kept (another process's old ones may go: a
        write into one then falls back to a new file, see :meth:`_publish`)."""
        removed = 0
        own = self._spares.paths()
        for shard in _scandir(self.root):
            if not shard.is_dir(follow_symlinks=False):
                continue
            for item in _scandir(shard.path):
                if item.name.startswith(_TMP_PREFIX) and item.path not in own:
                    with contextlib.suppress(FileNotFoundError):
                        if item.stat(follow_symlinks=False).st_mtime < older_than:
                            os.unlink(item.path)
                            removed += 1
        return removed

    def _add_stream(self, head: bytes, src: BinaryIO) -> tuple[str, int]:
        hasher = new_hasher()
        hasher.update(head)
        size = len(head)
        shard = Path(self._shard("tmp"))
        tmp = shard / f"{_TMP_PREFIX}{uuid.uuid4().hex}"
        try:
            with _create(tmp) as out:
                out.write(head)
                while chunk := src.read(CHUNK):
                    hasher.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            digest = hasher.hexdigest()
            final = self.path(digest)
            if not _freshen(final):
                self._shard(digest[:2])
                os.replace(tmp, final)
            self._remember(digest)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return digest, size

    def _shard(self, name: str) -> str:
        """The shard folder ``name``, made if missing; a symlink planted there is refused
        (blobs must never be written, nor collected, where a link points)."""
        folder = f"{self._root}/{name}"
        if name not in self._shards:
            os.close(open_path(self.root, [name], create=True))
            self._shards.add(name)
        return folder

    def refill_spares(self) -> None:
        """Make the empty files used up since the last call, on the spares' thread: called
        once a batch of writes (a snapshot) is done. Made while the batch still writes, a
        spare competes with it for the folder and the interpreter (measured: a snapshot of
        10 new files took 19% longer with a refill after each blob)."""
        if self._spares_used:
            self._spares_used = False
            self._spares.refill()

    def _publish(self, folder: str, final: str, chunks: list[bytes]) -> None:
        name = folder.rpartition("/")[2]
        self._shard(name)
        spare = self._spares.take()
        self._spares_used = True
        if spare is not None:
            try:
                self._write_and_rename(spare[0], spare[1], final, chunks, link=True)
                return
            except FileNotFoundError:  # another process's collector removed an old spare
                pass
        else:  # used up within one batch: more are made meanwhile
            self._spares.refill()
        tmp = f"{folder}/{_TMP_PREFIX}{os.urandom(8).hex()}"
        try:
            fd = _create_fd(tmp)
        except FileNotFoundError:  # a collection removed the empty shard meanwhile
            self._shards.discard(name)
            self._shard(name)
            fd = _create_fd(tmp)
        self._write_and_rename(fd, tmp, final, chunks)

    @staticmethod
    def _write_and_rename(fd: int, tmp: str, final: str, chunks: list[bytes], *, link: bool = False) -> None:
        """Write ``tmp`` and give it the blob's name. ``link``: a spare, in another folder,
        is hard-linked to the name and then removed, not renamed: a move between folders
        is what watchdog's observers hold back for half a second to pair its two halves
        (a blob already there has the same bytes, so it is kept)."""
        try:
            try:
                for chunk in chunks:
                    write_all(fd, chunk)
            finally:
                os.close(fd)
            if not link:
                os.replace(tmp, final)
                return
            with contextlib.suppress(FileExistsError):
                os.link(tmp, final)
            os.unlink(tmp)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def _create_fd(path: str | Path) -> int:
    """A new read-only file opened for writing (mode set at creation: no chmod, no extra event)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o444)


def _create(path: str | Path) -> BinaryIO:
    return os.fdopen(_create_fd(path), "wb")


def _freshen(final: str | Path) -> bool:
    """Touch an existing blob so a concurrent GC's grace period protects it; False if absent.

    Git does the same for loose objects: a writer that finds its content already stored
    must make sure the copy is not collected before the writer's reference is committed.
    """
    try:
        if stat.S_ISLNK(os.lstat(final).st_mode):
            return False  # a planted link: the caller renames the real blob over it
        os.utime(final)
    except FileNotFoundError:
        return False
    except PermissionError:
        return os.path.isfile(final)
    return True


def _scandir(path: str | Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except FileNotFoundError:
        return []


def blob_age(st: os.stat_result) -> float:
    """Seconds since a blob was written or last freshened."""
    return time.time() - st.st_mtime
