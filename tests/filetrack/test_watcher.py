"""The watcher: a write right before snapshot() is never missed, whatever the watcher did."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.filetrack.conftest import write_files
from wtb.filetrack import SqliteFileTrackingService
from wtb.filetrack.hashing import hash_bytes

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]


@pytest.mark.parametrize("watch", [True, False])
def test_a_write_right_before_snapshot_is_seen(make_workspace: MakeWs, make_service: MakeSvc, watch: bool) -> None:
    ws = make_workspace({"a.txt": "0", "sub/b.txt": "b"})
    svc = make_service(ws, watch=watch, start=True)
    assert svc._watcher.running is watch
    svc.snapshot()
    for i in range(1, 30):
        (ws / "a.txt").write_text(str(i))  # same size as the previous content for i < 10
        if i % 3 == 0:
            (ws / "sub" / f"n{i}.txt").write_text("new")
        snap = svc.snapshot()
        assert svc.read_file(snap, "a.txt") == str(i).encode()
        created = {f"sub/n{j}.txt" for j in range(3, i + 1, 3)}
        assert set(svc.files(snap)) == {"a.txt", "sub/b.txt", *created}
    assert svc.last_mode == ("incremental" if watch else "full")


def test_dropped_events_fall_back_to_a_walk(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "old"})
    svc = make_service(ws, start=True)
    first = svc.snapshot()
    (ws / "a.txt").write_text("new")
    assert svc._watcher.barrier()
    assert svc._watcher.pending() == {"a.txt"}
    svc._watcher.simulate_overflow()  # the event is gone, as after a kernel queue overflow
    assert svc._watcher.pending() == set()
    second = svc.snapshot()
    assert svc.last_mode == "full"
    assert svc.changes(first, second) == {"a.txt": hash_bytes(b"new")}
    (ws / "b.txt").write_text("b")
    third = svc.snapshot()
    assert svc.last_mode == "incremental"  # the watcher was restarted and is trusted again
    assert svc.changes(second, third) == {"b.txt": hash_bytes(b"b")}


def test_a_stopped_watcher_falls_back_to_a_walk(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "old"})
    svc = make_service(ws, start=True)
    svc.snapshot()
    svc._watcher.stop()
    (ws / "a.txt").write_text("new")
    assert svc.read_file(svc.snapshot(), "a.txt") == b"new"
    assert svc.last_mode == "full"


def test_a_missing_cookie_falls_back_to_a_walk(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "old"})
    svc = make_service(ws, start=True)
    svc.snapshot()
    cookies = ws / ".wtb" / ".filetrack" / "cookies"
    shutil.rmtree(cookies)
    cookies.mkdir()  # a new folder nobody watches: the cookie's event never comes
    svc.barrier_timeout_s = 0.2
    (ws / "a.txt").write_text("new")
    assert svc.read_file(svc.snapshot(), "a.txt") == b"new"
    assert svc.last_mode == "full"
    (ws / "a.txt").write_text("newer")
    assert svc.read_file(svc.snapshot(), "a.txt") == b"newer"
    assert svc.last_mode == "incremental"  # the restarted watcher watches the new folder


def test_directory_moves_and_deletes(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"d/x.txt": "x", "d/e/y.txt": "y", "keep.txt": "k"})
    svc = make_service(ws, start=True)
    s0 = svc.snapshot()
    (ws / "d").rename(ws / "moved")
    s1 = svc.snapshot()
    assert svc.last_mode == "incremental"
    assert svc.changes(s0, s1) == {
        "d/x.txt": None, "d/e/y.txt": None,
        "moved/x.txt": hash_bytes(b"x"), "moved/e/y.txt": hash_bytes(b"y"),
    }
    write_files(ws, {"new/deep/z.txt": "z"})
    (ws / "moved" / "e" / "y.txt").unlink()
    (ws / "moved" / "e").rmdir()
    s2 = svc.snapshot()
    assert svc.changes(s1, s2) == {"new/deep/z.txt": hash_bytes(b"z"), "moved/e/y.txt": None}
    assert s2 == make_service(ws, ws.parent / "fresh-data").snapshot()  # same as a full walk


def test_ignore_file_change_rebuilds_rules(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"a.txt": "a", "secret.txt": "s", "node_modules/m.js": "m"})
    svc = make_service(ws, start=True)
    assert "secret.txt" in svc.files(svc.snapshot())
    (ws / "node_modules" / "m.js").write_text("changed")
    assert svc._watcher.barrier()
    assert svc._watcher.pending() == set()  # ignored paths never dirty the set
    (ws / ".gitignore").write_text("secret.txt\n")
    files = svc.files(svc.snapshot())
    assert svc.last_mode == "full"
    assert sorted(files) == [".gitignore", "a.txt"]
    (ws / ".gitignore").unlink()
    assert "secret.txt" in svc.files(svc.snapshot())


def test_own_blob_writes_are_not_events(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({f"f{i}.txt": str(i) for i in range(50)})
    svc = make_service(ws, start=True)
    svc.snapshot()
    assert svc._watcher.barrier()
    assert svc._watcher.pending() == set()


def test_the_barrier_leaves_the_workspace_as_it_was(
    make_workspace: MakeWs, make_service: MakeSvc, tmp_path: Path
) -> None:
    ws = make_workspace({"a.txt": "a"})
    ws.chmod(0o750)
    svc = make_service(ws, tmp_path / "elsewhere", start=True)
    svc.snapshot()
    before = sorted(os.listdir(ws))
    for _ in range(20):
        assert svc._watcher.barrier()
    assert sorted(os.listdir(ws)) == before
    assert stat.S_IMODE(ws.stat().st_mode) == 0o750


def test_an_unchanged_workspace_costs_no_transaction_and_survives_gc(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws, start=True)
    first = svc.snapshot()
    assert svc.snapshot() == first
    assert svc.last_mode == "unchanged"
    svc.gc_grace_s = 0.0
    svc.gc()  # nothing links the snapshot: the collection removes it
    again = svc.snapshot()
    assert again == first and svc.last_mode != "unchanged"  # recorded anew, not assumed
    assert svc._one("SELECT 1 FROM snapshots WHERE root = ?", (again,)) is not None
    (ws / "a.txt").write_text("b")
    assert svc.read_file(svc.snapshot(), "a.txt") == b"b"


def test_barriers_from_several_threads_each_see_their_own_writes(
    make_workspace: MakeWs, make_service: MakeSvc
) -> None:
    """The queue is read by whichever thread asks (and by the reader thread): nothing is lost."""
    import threading

    ws = make_workspace({})
    svc = make_service(ws, start=True)
    svc.snapshot()
    watcher = svc._watcher
    failures: list[str] = []

    def writer(tag: str) -> None:
        for i in range(40):
            (ws / f"{tag}-{i}.txt").write_text(tag)
            if not watcher.barrier():
                failures.append(f"{tag}: barrier {i} failed")
            elif f"{tag}-{i}.txt" not in watcher.pending():
                failures.append(f"{tag}: {tag}-{i}.txt missing after its barrier")

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(svc.files(svc.snapshot())) == 120
    assert svc.last_mode == "incremental"


def test_stopping_the_watcher_while_barriers_run_ends_them(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    import threading

    ws = make_workspace({"a.txt": "a"})
    svc = make_service(ws, start=True)
    svc.snapshot()
    results: list[bool] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            results.append(svc._watcher.barrier(timeout=0.5))

    thread = threading.Thread(target=spin)
    thread.start()
    svc._watcher.stop()
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert results and results[-1] is False  # a stopped watcher is never trusted
    (ws / "a.txt").write_text("b")
    assert svc.read_file(svc.snapshot(), "a.txt") == b"b"


@pytest.mark.parametrize("backend", ["inotify", "watchdog"])
def test_a_barrier_that_fails_is_found_once_then_probed_until_it_works(
    make_workspace: MakeWs,
    make_service: MakeSvc,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    backend: str,
) -> None:
    """Cookie events lost (as with a watchdog release that broke WTB's reader): one warning,
    one timed-out barrier, every later snapshot walks at once, and the watcher comes back."""
    import logging
    import time

    from wtb import faults
    from wtb.filetrack import watcher as watcher_module

    monkeypatch.setattr(watcher_module, "PROBE_INTERVAL_S", (0.05, 0.05))
    dropping = {"on": True}
    monkeypatch.setattr(faults, "hit", lambda point: point == "watcher.drop_cookie" and dropping["on"])
    caplog.set_level(logging.WARNING, logger="wtb.filetrack.watcher")
    ws = make_workspace({"a.txt": "0"})
    svc = make_service(ws, start=True, watcher=backend)
    svc.barrier_timeout_s = 0.3
    for i in range(1, 8):
        (ws / "a.txt").write_text(str(i))
        assert svc.read_file(svc.snapshot(), "a.txt") == str(i).encode()
        assert svc.last_mode == "full"
    status = svc.watcher_status()
    assert status.mode == "walking" and "did not arrive" in status.reason
    assert status.barrier_timeouts == 1  # the first snapshot found it; the six after never waited
    warnings = [r for r in caplog.records if "not trusted" in r.getMessage()]
    assert len(warnings) == 1

    dropping["on"] = False  # cookies arrive again: the background probe notices
    deadline = time.monotonic() + 10
    while svc.watcher_status().mode != backend:
        assert time.monotonic() < deadline, "the watcher never came back"
        time.sleep(0.02)
    (ws / "a.txt").write_text("caught up")
    assert svc.read_file(svc.snapshot(), "a.txt") == b"caught up"
    assert svc.last_mode == "full"  # one walk for what happened while it was broken
    (ws / "a.txt").write_text("watched")
    assert svc.read_file(svc.snapshot(), "a.txt") == b"watched"
    assert svc.last_mode == "incremental"
    assert svc.watcher_status().barrier_timeouts == 1


def test_a_recent_cookie_vouches_for_inotify_and_a_stale_one_is_renewed(
    make_workspace: MakeWs, make_service: MakeSvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snapshots within ``COOKIE_TRUST_S`` of a cookie read the kernel's queue without one
    (their writes are queued by the system calls that made them) and still see every write,
    a subprocess's included; once the last cookie is older, the next snapshot sends one."""
    import subprocess
    import sys

    from wtb.filetrack import watcher as watcher_module

    monkeypatch.setattr(watcher_module, "COOKIE_TRUST_S", 60.0)
    ws = make_workspace({"a.txt": "0"})
    svc = make_service(ws, start=True, watcher="inotify")
    cookies = {"sent": 0}
    barrier = svc._watcher.barrier

    def counted(timeout: float = watcher_module.BARRIER_TIMEOUT_S) -> bool:
        cookies["sent"] += 1
        return barrier(timeout)

    monkeypatch.setattr(svc._watcher, "barrier", counted)
    svc.snapshot()
    assert cookies["sent"] == 1
    for i in range(1, 4):
        subprocess.run([sys.executable, "-c", f"open('a.txt', 'w').write('{i}')"], cwd=ws, check=True)
        (ws / f"n{i}.txt").write_text("new")
        snap = svc.snapshot()
        assert svc.read_file(snap, "a.txt") == str(i).encode() and f"n{i}.txt" in svc.files(snap)
        assert svc.last_mode == "incremental"
    assert cookies["sent"] == 1
    monkeypatch.setattr(watcher_module, "COOKIE_TRUST_S", 0.0)
    (ws / "a.txt").write_text("later")
    assert svc.read_file(svc.snapshot(), "a.txt") == b"later"
    assert cookies["sent"] == 2
