"""The daemon's process: ``python -m wtb.lsp`` / ``wtb serve``.

Builds the server with every feature registered (:func:`create_server`), parses the
command line, sets up logging, watches the editor's process, and closes the bench and
the run workers however the loop ends.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Sequence

from wtb.lsp import features, handlers
from wtb.lsp.server import WtbLanguageServer

logger = logging.getLogger(__name__)


def create_server() -> WtbLanguageServer:
    """A fresh server with every feature registered."""
    server = WtbLanguageServer()
    features.register(server)
    handlers.register(server)
    return server


# -- command line ---------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wtb serve", description="Run the WTB daemon (an LSP server).")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    parser.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-file", default=None, help="write the server's log to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug-level log")
    return parser.parse_args(argv)


def _setup_logging(log_file: str | None, verbose: bool) -> None:
    root = logging.getLogger()
    root.handlers.clear()
    if log_file:
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.DEBUG if verbose else logging.INFO)
        # pygls logs every message body at INFO; keep that for -v only.
        logging.getLogger("pygls").setLevel(logging.DEBUG if verbose else logging.WARNING)
    else:
        root.addHandler(logging.NullHandler())
        root.setLevel(logging.WARNING)


def _watch_parent(server: WtbLanguageServer) -> None:
    """Exit when the editor that started us dies, even if stdin stays open (inherited pipes)."""

    def watch() -> None:
        import time

        while True:
            time.sleep(3.0)
            pid = server.process_id
            if pid is None or pid <= 0:
                continue
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                logger.warning("parent process %s is gone; exiting", pid)
                server.workers.close()
                server.runs.abandon_all(server.bench_host.bench)
                server.bench_host.close()
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="wtb-parent-watch", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    """``wtb serve``: stdio by default; ``--tcp`` listens on ``--host`` (127.0.0.1) only."""
    args = parse_args(argv)
    _setup_logging(args.log_file, args.verbose)
    server = create_server()
    _watch_parent(server)
    try:
        if args.tcp:
            server.start_tcp(args.host, args.port)
        else:
            server.start_io()
    finally:
        server.workers.close()
        server.runs.abandon_all(server.bench_host.bench)
        server.bench_host.close()
    return 1 if server.broken_framing is not None else 0


if __name__ == "__main__":
    sys.exit(main())
