"""Bundles move snapshots between data directories, verified."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest

from tests.filetrack.conftest import tree_of
from wtb.filetrack import SqliteFileTrackingService
from wtb.filetrack.errors import IntegrityError, NotFoundError, UnsafePathError
from wtb.filetrack.objects import tree_hash

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]


def test_bundle_round_trip(make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path) -> None:
    odd = os.fsdecode(b"\xe9t\xe9.txt")
    worker_ws = make_workspace({"src/a.py": "a", odd: b"\x00\xff", "same.txt": "shared"})
    worker = make_service(worker_ws, tmp_path / "worker-data")
    first = worker.snapshot()
    (worker_ws / "result.txt").write_text("output")
    second = worker.snapshot()

    driver_ws = make_workspace({"same.txt": "shared"})
    driver = make_service(driver_ws, tmp_path / "driver-data")
    driver.snapshot()
    known = set(driver._blobs.iter())
    data = worker.export_bundle([first, second], known_blobs=known)
    assert len(msgpack.unpackb(data)["blobs"]) == 3  # "shared" is not shipped again
    assert driver.import_bundle(data) == [first, second]
    assert driver.files(second) == worker.files(second)
    assert driver.changes(first, second) == worker.changes(first, second)
    assert driver.read_file(second, odd) == b"\x00\xff"
    driver.restore(second, tmp_path / "materialised")
    assert tree_of(tmp_path / "materialised") == tree_of(worker_ws)
    driver.link_checkpoint("cp", "ex", second, {})
    assert driver.import_bundle(data) == [first, second]  # importing twice is harmless


def test_bundle_import_verifies(make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path) -> None:
    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws, tmp_path / "src-data")
    snap = svc.snapshot()
    other = make_service(make_workspace(), tmp_path / "dst-data")

    incomplete = svc.export_bundle([snap], known_blobs=set(svc._blobs.iter()))
    with pytest.raises(IntegrityError, match="lacks"):
        other.import_bundle(incomplete)

    doc = msgpack.unpackb(svc.export_bundle([snap]))
    doc["blobs"][0][1] = b"tampered"
    with pytest.raises(IntegrityError, match="blob"):
        other.import_bundle(msgpack.packb(doc))

    evil_body = msgpack.packb([[b"..", "file", doc["blobs"][0][0], 1, 0o644, None, 1]])
    doc = msgpack.unpackb(svc.export_bundle([snap]))
    doc["trees"] = [[tree_hash(evil_body), evil_body]]
    doc["roots"] = [[tree_hash(evil_body), 1, 1]]
    with pytest.raises(IntegrityError, match="invalid entry"):
        other.import_bundle(msgpack.packb(doc))

    with pytest.raises(NotFoundError):
        svc.export_bundle(["0" * 64])
    assert list(other._blobs.iter()) == []


def test_restore_refuses_snapshot_paths_inside_the_data_dir(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    worker = make_service(make_workspace({"state/evil.db": "x", "a.txt": "a"}), tmp_path / "worker-data")
    snap = worker.snapshot()
    ws = make_workspace({"a.txt": "a"})
    driver = make_service(ws, ws / "state")  # here "state" is WTB's data directory
    driver.import_bundle(worker.export_bundle([snap]))
    with pytest.raises(UnsafePathError, match="data directory"):
        driver.restore(snap)
    assert not (ws / "state" / "evil.db").exists()
