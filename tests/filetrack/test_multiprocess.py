"""Several processes on one data directory: snapshots, links and GC interleave safely."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from wtb.filetrack import SqliteFileTrackingService

MakeWs = Callable[..., Path]
MakeSvc = Callable[..., SqliteFileTrackingService]

WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from wtb.filetrack import SqliteFileTrackingService
    from wtb.config import FileTrackingConfig

    ws, data, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    with SqliteFileTrackingService(ws, data, FileTrackingConfig(watch=name == "w0")) as svc:
        svc.start()
        for i in range(8):
            path = f"{name}/{i}.txt"
            (ws / name).mkdir(exist_ok=True)
            (ws / path).write_text(f"{name} step {i}")
            snap = svc.snapshot()
            svc.link_checkpoint(f"{name}-{i}", f"exec-{name}", snap, {path: None})
            if i % 3 == 0:
                svc.gc()
    """
)


def test_two_processes_share_one_data_dir(make_workspace: MakeWs, make_service: MakeSvc) -> None:
    ws = make_workspace({"common.txt": "c"})
    data = ws / ".wtb"
    make_service(ws).snapshot()  # the parent opens the database too
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(ws), str(data), f"w{n}"], stderr=subprocess.PIPE)
        for n in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    svc = make_service(ws)
    svc.gc()
    for name in ("w0", "w1"):
        links = svc.checkpoint_links(f"exec-{name}")
        assert len(links) == 8
        for i in range(8):
            snap, outputs = links[f"{name}-{i}"]
            assert outputs == {f"{name}/{i}.txt": None}
            assert svc.read_file(snap, f"{name}/{i}.txt") == f"{name} step {i}".encode()
            for path in svc.files(snap):
                svc.read_file(snap, path)  # every blob of every linked snapshot survived the GCs
