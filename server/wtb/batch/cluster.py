"""Connecting to Ray: a local Ray started on demand, or the cluster ``RAY_ADDRESS`` names.

Ray is imported here, inside functions, and nowhere at module level: the daemon and the
CLI must start without paying for it (``import ray`` alone takes most of a second).
A Ray already initialised in this process (a test fixture, a notebook) is used as is.

Worker output is not forwarded to the driver (``log_to_driver=False``): it stays in
Ray's session logs. What Ray still prints in the driver (the cluster's error messages:
"node … has been marked dead", "a worker died") goes to the driver's stdout; the
daemon's batch worker points its file descriptor 1 at stderr (``wtb.worker``) and
``wtb batch`` redirects ``sys.stdout`` while the batch runs, so neither the LSP channel
nor ``--json`` output carries it.

A local Ray started here listens on 127.0.0.1 only and without its dashboard; see
:func:`_import_ray` and ``docs/cluster.md``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from wtb.batch.errors import RayUnavailableError

logger = logging.getLogger(__name__)

# Ray's switch for its single-machine mode (multi-node clusters are opt-in on Windows and
# macOS, where it is the default): with it at "0", a node's address is 127.0.0.1 and Ray's
# servers (GCS, raylet, object manager, workers, the driver's own) listen on loopback only.
SINGLE_MACHINE_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


@dataclass(frozen=True)
class RayInfo:
    """The Ray this process is connected to, and whether (and how fast) we started it."""

    started_here: bool
    startup_s: float
    address: str | None
    cpus: float
    nodes: list[dict[str, Any]]


def ensure_ray(address: str | None = None, runtime_env: dict[str, Any] | None = None) -> RayInfo:
    """Connect to Ray, starting a local one with every core and no dashboard if needed.

    A local Ray listens on 127.0.0.1 only (see :func:`_import_ray`).
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    started = time.perf_counter()
    started_here = False
    target = address or os.environ.get("RAY_ADDRESS") or None
    imported_before = "ray" in sys.modules
    try:
        ray = _import_ray(single_machine=target is None)
    except ImportError as exc:
        raise RayUnavailableError(
            "Batches run on Ray, which is not installed here: pip install 'wtb[batch]' (or 'ray>=2.60')."
        ) from exc
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
        if target is None and imported_before:
            _warn_if_exposed(ray)
        elif target is not None:
            _connected_to.add(target)
    nodes = alive_nodes()
    cpus = sum(float(node.get("Resources", {}).get("CPU", 0.0)) for node in nodes)
    return RayInfo(started_here, time.perf_counter() - started, target, cpus, nodes)


#: Clusters this process connected to through :func:`ensure_ray` (not a local Ray it
#: started, not a Ray the caller had initialised): :func:`disconnect` leaves them.
_connected_to: set[str] = set()


def connected_here(address: str | None) -> bool:
    """Whether WTB itself connected this process to the cluster at ``address``."""
    return address is not None and address in _connected_to


def disconnect() -> None:
    """Leave a Ray cluster that WTB connected to (``bench.close()``, the end of ``wtb batch``).

    A driver still connected when its cluster stops is ended by Ray itself (exit 1, no
    message, once the cluster has been unreachable for a while): a user's process that
    ran a batch must not die with the cluster.
    """
    if not _connected_to or "ray" not in sys.modules:
        return
    import ray

    _connected_to.clear()
    if ray.is_initialized():
        ray.shutdown()


def _import_ray(single_machine: bool) -> Any:
    """``import ray``; with ``single_machine``, so that a Ray it starts listens on 127.0.0.1 only.

    Ray's servers listen on every interface unless the node's address is 127.0.0.1, and on
    Linux ``ray.init`` replaces a 127.0.0.1 given as its node address (the underscored
    ``_node_ip_address`` argument) with the machine's routable address. The one public
    switch is :data:`SINGLE_MACHINE_SWITCH`, which Ray reads once, when it is imported; so it
    is set for the import only, when Ray is not imported yet and the user has not set it
    (a user's ``1`` exposes the local Ray on purpose). It is not left in the environment:
    the processes Ray starts are given the node's address on their command lines, and other
    child processes (a ``ray start`` joining a cluster) must not inherit it. This process
    stays in that mode: to drive a cluster after a local batch, use a new process.
    """
    if not single_machine or "ray" in sys.modules or SINGLE_MACHINE_SWITCH in os.environ:
        import ray

        return ray
    os.environ[SINGLE_MACHINE_SWITCH] = "0"
    try:
        import ray
    finally:
        os.environ.pop(SINGLE_MACHINE_SWITCH, None)
    return ray


def _warn_if_exposed(ray: Any) -> None:
    """Say so when a local Ray started here listens beyond loopback (Ray was imported first)."""
    address = str(ray.util.get_node_ip_address())
    if address.startswith("127.") or address == "::1" or SINGLE_MACHINE_SWITCH in os.environ:
        return
    logger.warning(
        "The local Ray started for this batch listens on %s, not only on 127.0.0.1: Ray was imported "
        "before WTB started it. Set %s=0 before importing Ray to keep it private (docs/cluster.md).",
        address,
        SINGLE_MACHINE_SWITCH,
    )


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
