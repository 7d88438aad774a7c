"""Ray started from a thread that then ends (the daemon's worker threads) must keep running.

A local Ray's processes die with the thread that started them (Linux's parent-death
signal follows the thread), so ``ensure_ray`` starts it from a thread of its own. This
runs in a child process: the test session's own Ray must not be the one tested.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = """
import threading
from wtb.batch.cluster import ensure_ray

started = threading.Thread(target=ensure_ray)
started.start()
started.join()  # the thread that started Ray is gone

import ray

@ray.remote
def answer():
    return 42

print(ray.get(answer.remote(), timeout=60))
ray.shutdown()
"""


def test_ray_started_from_a_finished_thread_keeps_running() -> None:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "42"
