"""Connecting to Ray: a local Ray started on demand, or the cluster ``RAY_ADDRESS`` names.

Ray is imported here, inside functions, and nowhere at module level: the daemon and the
CLI must start without paying for it (``import ray`` alone takes most of a second).
A Ray already initialised in this process (a test fixture, a notebook) is used as is.

Worker output is not forwarded to the driver (``log_to_driver=False``): in the daemon
the driver's stdout is the LSP channel, and a workflow's ``print`` must not corrupt it.
It stays in Ray's session logs. What Ray still prints in the driver (the cluster's error
messages: "node … has been marked dead", "a worker died") goes to stderr, for the same
reason and for ``wtb batch --json``.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from wtb.batch.errors import RayUnavailableError


@dataclass(frozen=True)
class RayInfo:
    """The Ray this process is connected to, and whether (and how fast) we started it."""

    started_here: bool
    startup_s: float
    address: str | None
    cpus: float
    nodes: list[dict[str, Any]]


def ensure_ray(address: str | None = None, runtime_env: dict[str, Any] | None = None) -> RayInfo:
    """Connect to Ray, starting a local one with every core and no dashboard if needed."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailableError(
            "Batches run on Ray, which is not installed here: pip install 'wtb[batch]' (or 'ray>=2.60')."
        ) from exc
    started = time.perf_counter()
    started_here = False
    target = address or os.environ.get("RAY_ADDRESS") or None
    if not ray.is_initialized():
        options: dict[str, Any] = {"log_to_driver": False, "logging_level": "WARNING"}
        if runtime_env:
            options["runtime_env"] = runtime_env
        if target:
            options["address"] = target
        else:
            options.update(num_cpus=os.cpu_count() or 1, include_dashboard=False)
        try:
            _init(ray, options)
        except Exception as exc:
            where = f"the Ray cluster at {target}" if target else "a local Ray"
            raise RayUnavailableError(f"Could not start or reach {where}: {exc}") from exc
        started_here = True
        _errors_to_stderr()
    nodes = alive_nodes()
    cpus = sum(float(node.get("Resources", {}).get("CPU", 0.0)) for node in nodes)
    return RayInfo(started_here, time.perf_counter() - started, target, cpus, nodes)


def _errors_to_stderr() -> None:
    """Send the cluster's error messages, which Ray prints on the driver's stdout, to stderr.

    Ray's thread that polls them calls ``ray._private.worker.print_to_stdstream`` with
    ``is_err=False`` (there is no setting for it); a wrapper marks them as errors.
    """
    try:
        from ray._private import worker
    except ImportError:  # another Ray layout: keep Ray's behaviour
        return
    original = getattr(worker, "print_to_stdstream", None)
    if original is None or getattr(original, "wtb_stderr", False):
        return

    def to_stderr(data: dict[str, Any], ignore_prefix: bool) -> None:
        original({**data, "is_err": True}, ignore_prefix)

    to_stderr.wtb_stderr = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = to_stderr


def _init(ray: Any, options: dict[str, Any]) -> None:
    """``ray.init`` from a thread that lives as long as the process.

    A local Ray's processes (GCS, raylet) die with the *thread* that started them (Linux's
    parent-death signal follows the thread). The daemon runs batches on worker threads of
    its own, which may end; so off the main thread Ray is started from a daemon thread
    that never returns.
    """
    if threading.current_thread() is threading.main_thread():
        ray.init(**options)
        return
    done = threading.Event()
    failure: list[BaseException] = []

    def keeper() -> None:
        try:
            ray.init(**options)
        except BaseException as exc:
            failure.append(exc)
            done.set()
            return
        done.set()
        threading.Event().wait()  # keep this thread, and so Ray's processes, alive

    threading.Thread(target=keeper, name="wtb-ray", daemon=True).start()
    done.wait()
    if failure:
        raise failure[0]


def alive_nodes() -> list[dict[str, Any]]:
    import ray

    nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    return [node for node in nodes if node.get("Alive")]


def fitting_actors(request_options: dict[str, Any], nodes: list[dict[str, Any]]) -> int:
    """How many actors of this shape the cluster holds at once (summed over nodes)."""
    wanted = {
        "CPU": float(request_options.get("num_cpus", 0) or 0),
        "GPU": float(request_options.get("num_gpus", 0) or 0),
        "memory": float(request_options.get("memory", 0) or 0),
    }
    total = 0
    for node in nodes:
        resources = node.get("Resources", {})
        fits = [int(resources.get(key, 0.0) // value) for key, value in wanted.items() if value > 0]
        total += min(fits) if fits else 1_000_000
    return total
