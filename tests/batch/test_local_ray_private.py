"""A local Ray started by WTB listens on 127.0.0.1 only, and without its dashboard.

A child process runs a batch the way ``wtb batch`` does (``run_batch`` with nothing set:
``ensure_ray`` starts a local Ray, the pool starts its actors, which stay warm) and
waits; meanwhile this test reads the listening TCP sockets of that process and of every
process under it (Ray's GCS, raylet, agents, the actors' workers) from ``/proc`` and
requires each to be bound to a loopback address. ``0.0.0.0`` and ``::`` are not.
Checked with Ray 2.60.0.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wtb.batch.cluster import SINGLE_MACHINE_SWITCH

pytestmark = [
    pytest.mark.ray,
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads sockets from /proc"),
]

DRIVER = """
import json, os, sys
from wtb import WTBTestBench
from wtb.batch import run_batch

workspace, data = sys.argv[1], sys.argv[2]
with WTBTestBench.create(workspace=workspace, data_dir=data) as bench:
    result = run_batch(bench, "flow", [{"label": "a"}, {"label": "b"}], max_parallel=2)
    import ray  # after WTB started it, as in `wtb batch`

    print(json.dumps({
        "status": result.status,
        "workers": sorted({v.worker.get("pid") for v in result.variants}),
        "gcs": ray.get_runtime_context().gcs_address,
        "switch_left": os.environ.get(sys.argv[3]),
    }), flush=True)
    sys.stdin.readline()  # the test looks at the sockets now
"""


def test_a_local_ray_started_by_wtb_listens_on_loopback_only(flow_ws: Path, tmp_path: Path) -> None:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    for name in ("RAY_ADDRESS", SINGLE_MACHINE_SWITCH):
        env.pop(name, None)
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(flow_ws), str(tmp_path / "data"), SINGLE_MACHINE_SWITCH],
        cwd=flow_ws, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert driver.stdout is not None and driver.stdin is not None
        line = driver.stdout.readline()
        assert line, driver.communicate(timeout=60)[1][-3000:]
        report: dict[str, Any] = json.loads(line)
        tree = _process_tree(driver.pid)
        sockets = _listening_sockets(tree)
        commands = [_command(pid) for pid in tree]
        driver.stdin.write("\n")
        driver.stdin.flush()
        _, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
    assert driver.returncode == 0, err[-3000:]
    assert report["status"] == "completed"
    assert report["switch_left"] is None  # set for Ray's import only, not inherited by other children
    assert set(report["workers"]) <= set(tree)  # the actors' processes were among those looked at
    gcs_port = int(report["gcs"].rsplit(":", 1)[1])
    assert gcs_port in {port for _, _, port, _ in sockets}, sockets  # the scan does see Ray's sockets
    exposed = [s for s in sockets if not _is_loopback(s[1])]
    assert not exposed, f"listening beyond loopback (pid, address, port, command): {exposed}"
    # No dashboard: Ray still runs its head process in minimal mode (usage stats only), with
    # no web frontend and, as checked here, no listening socket.
    dashboards = [pid for pid, command in zip(tree, commands, strict=True) if "dashboard/dashboard.py" in command]
    assert all("--minimal" in commands[tree.index(pid)] for pid in dashboards)
    assert not {pid for pid, *_ in sockets} & set(dashboards), sockets


def _process_tree(root: int) -> list[int]:
    """``root`` and every process under it, by the parent pids in ``/proc/<pid>/stat``."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces and parentheses
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _listening_sockets(pids: list[int]) -> list[tuple[int, str, int, str]]:
    """``(pid, address, port, command)`` of each listening TCP socket the processes hold."""
    listening = _listening_inodes()
    found = []
    for pid in pids:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in descriptors:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            inode = target[len("socket:[") : -1] if target.startswith("socket:[") else None
            if inode in listening:
                address, port = listening[inode]
                found.append((pid, address, port, _command(pid)[:120]))
    return found


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _listening_inodes() -> dict[str, tuple[str, int]]:
    """Socket inode → (address, port) of every TCP socket in state LISTEN, IPv4 and IPv6."""
    found: dict[str, tuple[str, int]] = {}
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A":  # TCP_LISTEN
                continue
            host, port = fields[1].split(":")
            raw = bytes.fromhex(host)
            if sys.byteorder == "little":  # the kernel prints each 32-bit word in host order
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found[fields[9]] = (socket.inet_ntop(family, raw), int(port, 16))
    return found


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def test_loopback_addresses() -> None:
    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("::ffff:127.0.0.1")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("::") and not _is_loopback("192.0.2.2")
