"""The debug adapter over stdio: ``main(argv)`` for ``python -m wtb.dap`` and ``wtb dap``.

The protocol keeps the process's real stdin and stdout for itself; file descriptors 0 and
1 are then given to the workflow as ``/dev/null`` and a pipe whose text comes to the
editor as ``output`` events, so a node's ``print`` (or a library writing to fd 1) can
never break a message.
"""

from __future__ import annotations

import argparse
import codecs
import logging
import os
import sys
import threading
from collections.abc import Sequence

from wtb.dap.adapter import DebugAdapter
from wtb.dap.wire import Wire


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wtb dap", description="WTB's debug adapter (Debug Adapter Protocol over stdio)."
    )
    parser.add_argument("--log-file", help="write the adapter's own log here (default: stderr)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.INFO, filename=args.log_file,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.stdout.flush()
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.close(write_end)
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
    adapter = DebugAdapter(Wire(protocol_in, protocol_out))
    threading.Thread(target=_forward, args=(read_end, adapter), name="wtb-dap-stdout", daemon=True).start()
    status = adapter.serve()
    if not adapter.disconnected:
        adapter.clean_exit = adapter.session.close()
    sys.stdout.flush()
    if not adapter.clean_exit:  # a node still runs in the worker thread: it ends with the process
        protocol_out.flush()
        os._exit(status)
    return status


def _forward(fd: int, adapter: DebugAdapter) -> None:
    """The workflow's stdout, as ``output`` events."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        text = decoder.decode(chunk)
        if text:
            adapter.output(text, "stdout")
