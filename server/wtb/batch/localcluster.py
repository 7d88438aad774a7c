"""A Ray cluster of several nodes on this machine, each node a ``ray start --block`` process group.

For trying batches on a multi-node cluster without having one (``docs/cluster.md``), and
for the cluster tests and benchmark. Each node has its own temporary directory, working
directory and ``HOME``, so nothing of the user's reaches a worker by accident; with
``hide``, each node also runs in a mount namespace of its own where those directories
are an empty ``tmpfs``: a worker that tried to read the user's workspace or data
directory would find nothing there. That is how the tests prove that a batch needs
nothing shared but Ray.

A node is stopped with SIGINT to its process group (``ray start --block`` then stops its
processes; SIGTERM left a head running for half a minute) and, to simulate a lost node,
with SIGKILL. Never ``ray stop``: it stops every Ray on the machine.

``python -m wtb.batch.localcluster [--nodes N] [--cpus C]`` starts one and prints its
``RAY_ADDRESS`` until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

# Ray 2.60 turns token authentication on by default; its token file is per user and shared
# with every other Ray on the machine, so local clusters run without it.
BASE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
# A lost node is noticed after about 3 s instead of Ray's default 15-30 s.
FAST_FAILURE_DETECTION = {
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
}
_HIDE_SCRIPT = 'for d in $WTB_HIDE; do mount -t tmpfs -o size=64k,mode=0 wtb-hidden "$d" || exit 97; done; exec "$@"'


@dataclass
class LocalNode:
    """One ``ray start`` process group and the directories it was given."""

    name: str
    process: subprocess.Popen[bytes]
    temp_dir: Path
    home: Path
    log: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def node_id(self) -> str | None:
        """Ray's id of the node (hex), once it has started."""
        return _raylet_id(self)


@dataclass
class LocalCluster:
    """A head and worker nodes on this machine; ``address`` is what ``RAY_ADDRESS`` takes."""

    port: int
    root: Path
    env: dict[str, str]
    hide: tuple[Path, ...] = ()
    nodes: list[LocalNode] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        workers: int = 1,
        num_cpus: int = 1,
        hide: Iterable[str | Path] = (),
        env: Mapping[str, str] | None = None,
        timeout_s: float = 120.0,
    ) -> LocalCluster:
        """A head and ``workers`` worker nodes of ``num_cpus`` CPUs each; waits until all are up."""
        hidden = tuple(Path(p).resolve() for p in hide)
        if hidden and not can_hide():
            raise RuntimeError("Hiding directories needs mount namespaces (root, or unprivileged user namespaces).")
        # Ray's socket paths must stay short (108 bytes): keep the root directly in /tmp.
        root = Path(tempfile.mkdtemp(prefix="wtbray-", dir="/tmp" if Path("/tmp").is_dir() else None))
        cluster = cls(_free_port(), root, {**os.environ, **BASE_ENV, **(env or {})}, hidden)
        try:
            cluster._launch("head", ["--head", f"--port={cluster.port}", "--include-dashboard=false"], num_cpus)
            _wait_for_port(cluster.port, timeout_s, cluster.nodes[0])
            for index in range(workers):
                cluster.add_worker(f"worker{index + 1}", num_cpus)
            cluster.wait_for_nodes(workers + 1, timeout_s)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def add_worker(self, name: str, num_cpus: int = 1) -> LocalNode:
        """Start one more worker node (it joins a few seconds later; see :meth:`wait_for_nodes`)."""
        return self._launch(name, [f"--address={self.address}"], num_cpus)

    def _launch(self, name: str, options: list[str], num_cpus: int) -> LocalNode:
        temp_dir = self.root / name
        home = self.root / f"{name}-home"
        for directory in (temp_dir, home):
            directory.mkdir()
        log = self.root / f"{name}.log"
        command = [str(Path(sys.executable).with_name("ray")), "start", "--block", *options,
                   f"--num-cpus={num_cpus}", "--disable-usage-stats", f"--temp-dir={temp_dir}"]
        env = {**self.env, "HOME": str(home), "WTB_LOCAL_NODE": name}
        if self.hide:
            env["WTB_HIDE"] = " ".join(str(p) for p in self.hide)
            command = [*_namespace_prefix(), "sh", "-c", _HIDE_SCRIPT, "sh", *command]
        with log.open("wb") as out:
            process = subprocess.Popen(command, env=env, cwd=home, start_new_session=True, stdout=out,
                                       stderr=subprocess.STDOUT, preexec_fn=_stop_with_parent)
        node = LocalNode(name, process, temp_dir, home, log)
        self.nodes.append(node)
        return node

    def wait_for_nodes(self, count: int, timeout_s: float = 120.0) -> None:
        """Until ``count`` nodes have started (read from their raylets' logs: no Ray in this process)."""
        deadline = time.monotonic() + timeout_s
        while True:
            started = [node for node in self.nodes if node.alive and node.node_id]
            if len(started) >= count:
                return
            dead = [node for node in self.nodes if not node.alive]
            if dead:
                raise RuntimeError(f"Ray node {dead[0].name} exited: {_tail(dead[0].log)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"Only {len(started)} of {count} Ray nodes came up in {timeout_s:g}s.")
            time.sleep(0.25)

    def node(self, name: str) -> LocalNode:
        return next(node for node in self.nodes if node.name == name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Stop a node the hard way (SIGKILL: a lost machine) or gracefully (SIGINT)."""
        node = self.node(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop every node (workers first), then remove the directories. Safe to call twice."""
        running = [node for node in reversed(self.nodes) if node.alive]
        for node in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.process.pid, signal.SIGINT)
        for node in running:
            try:
                node.process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.process.pid, signal.SIGKILL)
                node.process.wait(timeout=15)
        for node in self.nodes:  # a SIGKILLed group leaves its workers to notice the raylet is gone
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.process.pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _stop_with_parent() -> None:
    """In the child, before exec: SIGINT when the process that started the node dies (Linux).

    So a test run killed hard (a timeout's SIGKILL) does not leave its cluster running.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG


def can_hide() -> bool:
    """Whether nodes can run in mount namespaces of their own here (Linux: root or user namespaces)."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = Path(tempfile.mkdtemp(prefix="wtb-hide-"))
    try:
        (probe / "seen").write_text("x")
        done = subprocess.run([*_namespace_prefix(), "sh", "-c", _HIDE_SCRIPT, "sh", "test", "!", "-e",
                               str(probe / "seen")], env={**os.environ, "WTB_HIDE": str(probe)},
                              capture_output=True, timeout=30)
        return done.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def _namespace_prefix() -> list[str]:
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    return ["unshare", *user, "--mount", "--propagation", "private", "--"]


def _raylet_id(node: LocalNode) -> str | None:
    """The node's Ray id, once its raylet has started and registered (it says so in its log)."""
    with contextlib.suppress(OSError):
        text = (node.temp_dir / "session_latest" / "logs" / "raylet.out").read_text(errors="replace")
        found = re.search(r"Raylet of id, ([0-9a-f]+) started", text)
        return found.group(1) if found else None
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, timeout_s: float, node: LocalNode) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not node.alive:
            raise RuntimeError(f"The Ray head exited: {_tail(node.log)}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.25)
    raise TimeoutError(f"The Ray head did not listen on port {port} within {timeout_s:g}s.")


def _tail(path: Path, chars: int = 2000) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-chars:]
    return "(no log)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wtb.batch.localcluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2, help="nodes in all, the head included (default 2)")
    parser.add_argument("--cpus", type=int, default=1, help="CPUs per node (default 1)")
    args = parser.parse_args(argv)
    with LocalCluster.start(workers=max(args.nodes - 1, 0), num_cpus=args.cpus) as cluster:
        print(f"RAY_ADDRESS={cluster.address}  (logs in {cluster.root}; Ctrl-C stops the cluster)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while all(node.alive for node in cluster.nodes):
                time.sleep(1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
