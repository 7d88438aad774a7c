"""The collector's lock: each thread's shared hold stands on its own (one thread letting go
never frees another's), and an exclusive holder waits for every shared one."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from wtb.locks import GcLock


def _free_for_exclusive(path: Path) -> bool:
    """Whether another open of the file could take it exclusively now (as another process would)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_shared_hold_outlives_another_threads_release(tmp_path: Path) -> None:
    lock = GcLock(tmp_path / "data" / "gc.lock")
    holding, release = threading.Event(), threading.Event()

    def hold_long() -> None:
        with lock.shared():
            holding.set()
            release.wait(10)

    long_holder = threading.Thread(target=hold_long)
    long_holder.start()
    assert holding.wait(10)
    for _ in range(3):  # this thread takes and lets go of its own shared hold, again and again
        with lock.shared():
            pass
    assert not _free_for_exclusive(lock.path)
    release.set()
    long_holder.join(10)
    assert _free_for_exclusive(lock.path)


def test_exclusive_waits_for_shared(tmp_path: Path) -> None:
    lock = GcLock(tmp_path / "data" / "gc.lock")
    order: list[str] = []
    def collect() -> None:
        with lock.exclusive():
            order.append("collected")

    with lock.shared():
        collector = threading.Thread(target=collect)
        collector.start()
        collector.join(0.3)
        assert order == [] and collector.is_alive()
        order.append("snapshot done")
    collector.join(10)
    assert order == ["snapshot done", "collected"]


def test_holds_from_short_lived_threads_leave_no_descriptor_and_the_lock_free(tmp_path: Path) -> None:
    """LangGraph stores checkpoints from a new thread pool at every run: holds taken from
    a hundred fresh threads neither leave a descriptor each behind nor the lock held."""
    lock = GcLock(tmp_path / "data" / "gc.lock")
    with lock.shared():  # the file exists from here on
        pass
    open_before = len(os.listdir("/proc/self/fd"))
    for _ in range(100):
        worker = threading.Thread(target=_hold_once, args=(lock,))
        worker.start()
        worker.join(10)
    assert len(os.listdir("/proc/self/fd")) <= open_before + 1
    assert _free_for_exclusive(lock.path)
    lock.close()


def _hold_once(lock: GcLock) -> None:
    with lock.shared():
        assert not _free_for_exclusive(lock.path)
