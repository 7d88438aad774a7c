"""End to end, over raw stdio: broken framing closes the daemon; huge ids are not echoed.

The editor's client always frames messages well, so these tests speak bytes to the real
daemon (``python -m wtb.lsp``) themselves: a header pygls cannot parse used to leave the
daemon waiting for ever (and the editor with it), and a 5 MB id came back whole.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.lsp.conftest import PYTHON_M_WTB_LSP, server_env

EXIT_WITHIN_S = 20.0  # the daemon starts in ~1 s; a wedged one never exits
ANSWER_WITHIN_S = 60.0
INVALID_REQUEST = -32600


class RawDaemon:
    """The daemon as a subprocess, with LSP framing done by hand."""

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        self.process = subprocess.Popen(
            [*PYTHON_M_WTB_LSP, "--log-file", str(log_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=server_env(),
        )
        self.messages: queue.Queue[tuple[int, dict[str, Any]] | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, out: IO[bytes]) -> None:
        while True:
            length = None
            while line := out.readline():
                if line == b"\r\n":
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line or length is None:
                self.messages.put(None)
                return
            body = out.read(length)
            self.messages.put((len(body), json.loads(body)))

    def send_bytes(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.send_bytes(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def request(self, msg_id: int | str, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})

    def answer(self) -> tuple[int, dict[str, Any]]:
        """The next response (its body's size, and it), skipping notifications."""
        deadline = time.monotonic() + ANSWER_WITHIN_S
        while True:
            item = self.messages.get(timeout=max(0.1, deadline - time.monotonic()))
            assert item is not None, "the daemon closed its output"
            if "id" in item[1]:
                return item

    def initialize(self, workspace: Path, *, initialized: bool = False) -> None:
        options = {"fileTracking": {"enabled": False}}
        self.request(1, "initialize", {"processId": None, "rootUri": workspace.as_uri(), "capabilities": {},
                                       "initializationOptions": options})
        _, reply = self.answer()
        assert reply["id"] == 1 and "result" in reply, reply
        if initialized:
            self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    def exit_code(self, timeout: float = EXIT_WITHIN_S) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read().decode(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def raw_daemon(tmp_path: Path) -> Iterator[RawDaemon]:
    daemon = RawDaemon(tmp_path / "daemon.log")
    yield daemon
    daemon.kill()


BROKEN = {
    "not a number": (b"Content-Length: abc\r\n\r\n{}", "Content-Length is not a byte count: 'abc'"),
    "negative": (b"Content-Length: -5\r\n\r\n{}", "Content-Length is not a byte count: '-5'"),
    "missing": (b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}", "no Content-Length header"),
    "above the limit": (b"Content-Length: 67108865\r\n\r\n", "larger than the limit of 67108864 bytes"),
    "not a header": (b"{\"jsonrpc\": \"2.0\"}\r\n\r\n", "not a header"),
    "a header line without end": (b"Content-Length: 5" + b"0" * 5000, "longer than 1024 bytes"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_framing_closes_the_daemon_with_a_reason(raw_daemon: RawDaemon, tmp_path: Path, case: str) -> None:
    raw_daemon.initialize(tmp_path)  # it serves well-framed messages first
    data, reason = BROKEN[case]
    raw_daemon.send_bytes(data)  # and stdin stays open: only the daemon can end this
    code = raw_daemon.exit_code()
    assert code is not None, f"the daemon still runs {EXIT_WITHIN_S} s after {data[:40]!r}"
    assert code == 1
    assert reason in raw_daemon.log_file.read_text()
    stderr = raw_daemon.stderr()
    assert "wtb daemon: closing the connection: " in stderr and reason in stderr, stderr


def test_a_5_mb_id_is_refused_in_a_small_answer_and_the_daemon_goes_on(raw_daemon: RawDaemon, tmp_path: Path) -> None:
    raw_daemon.initialize(tmp_path)
    raw_daemon.request("x" * 5_000_000, "wtb/listWorkflows", {})
    size, reply = raw_daemon.answer()
    assert size < 10_000, f"a {size}-byte answer"
    assert reply["id"] is None and reply["error"]["code"] == INVALID_REQUEST
    assert "5000000 characters" in reply["error"]["message"]
    raw_daemon.send({"jsonrpc": "2.0", "id": 2, "method": "x" * 5_000_000, "params": {}})
    size, reply = raw_daemon.answer()
    assert size < 10_000 and reply["id"] is None and reply["error"]["code"] == INVALID_REQUEST
    raw_daemon.send_bytes(b"Content-Length: 9\r\n\r\nnot json!")
    size, reply = raw_daemon.answer()
    assert size < 10_000 and reply["id"] is None and reply["error"]["code"] == -32700
    raw_daemon.request(3, "shutdown")
    assert raw_daemon.answer()[1] == {"jsonrpc": "2.0", "id": 3, "result": None}
    raw_daemon.send({"jsonrpc": "2.0", "method": "exit"})
    assert raw_daemon.exit_code() == 0
    assert len(raw_daemon.log_file.read_text()) < 100_000  # nor is the id written to the log


def test_a_5_mb_parameter_is_not_echoed_whole_in_an_error(raw_daemon: RawDaemon, tmp_path: Path) -> None:
    raw_daemon.initialize(tmp_path, initialized=True)
    raw_daemon.request(2, "wtb/getExecution", {"executionId": "y" * 5_000_000})
    size, reply = raw_daemon.answer()
    assert size < 10_000, f"a {size}-byte answer"
    assert reply["id"] == 2 and "characters left out" in reply["error"]["message"]
    raw_daemon.request(3, "wtb/listExecutions", {})
    assert raw_daemon.answer()[1]["result"] == {"executions": []}
