"""The blob store: write once, read verified."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wtb.filetrack import BlobStore
from wtb.filetrack.errors import IntegrityError, InvalidArgumentError
from wtb.filetrack.hashing import hash_bytes


def test_add_bytes_is_content_addressed_and_read_only(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    digest = store.add_bytes(b"hello")
    assert digest == hash_bytes(b"hello")
    path = store.path(digest)
    assert path == tmp_path / "blobs" / digest[:2] / digest[2:]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert store.read(digest) == b"hello"
    assert store.add_bytes(b"hello") == digest
    assert list(store.iter()) == [digest]


def test_add_file_small_and_streamed(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    small = tmp_path / "small.bin"
    small.write_bytes(b"x" * 1000)
    big = tmp_path / "big.bin"
    big_data = os.urandom(5 << 20)
    big.write_bytes(big_data)
    assert store.add_file(small) == (hash_bytes(b"x" * 1000), 1000)
    digest, size = store.add_file(big)
    assert (digest, size) == (hash_bytes(big_data), len(big_data))
    assert store.read(digest) == big_data
    assert store.verify(digest) == len(big_data)
    assert store.add_file(big) == (digest, size)  # already stored: no second copy
    assert sorted(store.iter()) == sorted([digest, hash_bytes(b"x" * 1000)])


def test_add_file_refuses_a_symlink(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    (tmp_path / "target").write_text("t")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(OSError):
        store.add_file(tmp_path / "link")


def test_corrupt_and_missing_blobs_are_detected(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    digest = store.add_bytes(b"original")
    path = store.path(digest)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(IntegrityError, match=digest):
        store.read(digest)
    with pytest.raises(IntegrityError, match=digest):
        store.verify(digest)
    assert store.delete(digest) == len(b"tampered")
    with pytest.raises(IntegrityError, match="missing"):
        store.read(digest)
    assert store.delete(digest) == 0


def test_a_blob_read_lately_comes_from_memory_until_it_is_deleted(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    digest = store.add_bytes(b"original")
    assert store.read(digest) == b"original"  # read and verified: kept
    path = store.path(digest)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    assert store.read(digest) == b"original"  # the verified content, never the tampered one
    with pytest.raises(IntegrityError, match="corrupt"):
        BlobStore(tmp_path / "blobs").read(digest)  # another process reads the disk and sees it
    store.delete(digest)
    with pytest.raises(IntegrityError, match="missing"):
        store.read(digest)


def test_memory_keeps_small_blobs_only_and_a_bounded_amount(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    large = store.add_bytes(b"L" * (300 << 10))
    store.read(large)
    assert large not in store._kept
    small = [store.add_bytes(bytes([i % 256]) * (200 << 10) + str(i).encode()) for i in range(60)]
    for digest in small:
        store.read(digest)
    assert store._kept_bytes <= 8 << 20
    assert small[0] not in store._kept and small[-1] in store._kept  # least recently read went first
    assert store._kept_bytes == sum(len(v) for v in store._kept.values())


def test_names_that_are_not_hashes_are_refused(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(InvalidArgumentError):
        store.path("../../etc/passwd")


def test_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    digest = store.add_bytes(b"x")
    tmp = store.path(digest).parent / ".tmp-dead"
    tmp.write_bytes(b"partial")
    os.utime(tmp, (0, 0))
    assert store.remove_stale_temps(older_than=1.0) == 1
    assert not tmp.exists()
    assert list(store.iter()) == [digest]


def test_new_blobs_are_written_into_files_made_ahead_and_none_is_left_at_close(tmp_path: Path) -> None:
    import time

    store = BlobStore(tmp_path / "blobs")
    tmp = tmp_path / "blobs" / "tmp"
    def spares_become(count: int) -> set[str]:
        deadline = time.monotonic() + 5
        while len(os.listdir(tmp)) != count and time.monotonic() < deadline:
            time.sleep(0.01)
        return set(os.listdir(tmp))

    first = store.add_bytes(b"first")  # asks for spares: made on the store's own thread
    made = spares_become(16)
    assert len(made) == 16
    digests = [store.add_bytes(f"blob {i}".encode(), changed=True) for i in range(5)]
    time.sleep(0.05)
    left = set(os.listdir(tmp))
    assert left < made and len(left) == 11  # spares were taken, and none made while the batch wrote
    store.refill_spares()  # the batch is done (a snapshot): made again, on the thread
    assert len(spares_become(16)) == 16
    for i, digest in enumerate(digests):
        assert store.read(digest) == f"blob {i}".encode()
        assert stat.S_IMODE(store.path(digest).stat().st_mode) == 0o444
    assert store.read(first) == b"first"
    store.close()
    assert os.listdir(tmp) == []  # the spares go with the store
    assert sorted(store.iter()) == sorted([first, *digests])
