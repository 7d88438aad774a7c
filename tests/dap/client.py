"""A small DAP client over stdio: Content-Length framing, requests by seq, events in order.

It starts the real adapter (``python -m wtb.dap``) as a child process; a reader thread
sorts what comes back into responses (by ``request_seq``) and events (a queue the test
waits on). Waits are bounded only to turn a hang into a failure, never to measure time.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
#: Long enough for a slow shared machine; a test that reaches it has hung.
WAIT_S = 120.0


class DapError(Exception):
    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(response.get("message"))
        self.response = response


class DapConnection:
    """Requests, responses and events over one pair of byte streams (a pipe or a socket)."""

    def __init__(self, reader: IO[bytes], writer: IO[bytes]) -> None:
        self._reader = reader
        self._writer = writer
        self._seq = 0
        self._responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        #: Every event seen, in order (``wait_event`` consumes from ``events``; this keeps all).
        self.seen: list[dict[str, Any]] = []
        #: Requests the adapter sent to us (``startDebugging``), answered with success.
        self.reverse: queue.Queue[dict[str, Any]] = queue.Queue()
        #: How reverse requests are answered (False: as an editor without that debugger would).
        self.accept_reverse = True
        self.stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()

    # -- wire ------------------------------------------------------------------------------
    def _read(self) -> None:
        stream = self._reader
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.events.put({"type": "event", "event": "<eof>", "body": {}})
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None, "a message without Content-Length"
            message = json.loads(stream.read(length))
            if message["type"] == "response":
                self._box(message["request_seq"]).put(message)
            elif message["type"] == "event":
                self.seen.append(message)
                self.events.put(message)
            elif message["type"] == "request":
                self.reverse.put(message)
                answer = {"seq": 0, "type": "response", "request_seq": message["seq"], "success": self.accept_reverse,
                          "command": message["command"], "body": {}}
                if not self.accept_reverse:
                    answer["message"] = "no such debug type"
                self._write(answer)

    def _box(self, seq: int) -> queue.Queue[dict[str, Any]]:
        with self._lock:
            return self._responses.setdefault(seq, queue.Queue())

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        with self._lock:
            self._seq += 1
            seq = self._seq
        self._write({"seq": seq, "type": "request", "command": command, "arguments": arguments or {}})
        return seq

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        with self._lock:
            self._writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._writer.flush()

    def response(self, seq: int) -> dict[str, Any]:
        try:
            return self._box(seq).get(timeout=WAIT_S)
        except queue.Empty:
            raise AssertionError(f"no response to request {seq}; stderr: {self.stderr_text()}") from None

    def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a request and return its body; an error response raises :class:`DapError`."""
        response = self.response(self.send(command, arguments))
        if not response["success"]:
            raise DapError(response)
        return response.get("body") or {}

    def wait_event(self, name: str) -> dict[str, Any]:
        """The next event called ``name`` (events before it are skipped); its body."""
        while True:
            try:
                event = self.events.get(timeout=WAIT_S)
            except queue.Empty:
                raise AssertionError(f"no {name!r} event; stderr: {self.stderr_text()}") from None
            if event["event"] == name:
                return event.get("body") or {}
            if event["event"] == "<eof>":
                raise AssertionError(f"the adapter exited before a {name!r} event; stderr: {self.stderr_text()}")

    def output(self) -> str:
        return "".join(e["body"].get("output", "") for e in self.seen if e["event"] == "output")

    def stderr_text(self) -> str:
        return b"".join(self.stderr).decode("utf-8", "replace")[-4000:]



class DapClient(DapConnection):
    """The real adapter, ``python -m wtb.dap``, as a child process."""

    def __init__(self, cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO / "server")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wtb.dap"], cwd=cwd, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        super().__init__(self.process.stdout, self.process.stdin)
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    # -- conveniences ------------------------------------------------------------------------
    def start(self, launch: dict[str, Any], breakpoints: dict[str, list[dict[str, Any]]] | None = None,
              functions: list[str] | None = None, exceptions: list[str] | None = None,
              child_sessions: bool = False) -> dict[str, Any]:
        """initialize → launch → (initialized) → breakpoints → configurationDone; the answers of setBreakpoints."""
        capabilities = self.request("initialize", {"adapterID": "wtb", "linesStartAt1": True, "columnsStartAt1": True,
                                                    "pathFormat": "path",
                                                    "supportsStartDebuggingRequest": child_sessions})
        assert capabilities["supportsStepBack"] is True
        launched = self.send("launch", launch)
        self.wait_event("initialized")
        answered: dict[str, Any] = {}
        for path, bps in (breakpoints or {}).items():
            answered[path] = self.request("setBreakpoints", {"source": {"path": path}, "breakpoints": bps})
        if functions is not None:
            answered["<functions>"] = self.request("setFunctionBreakpoints",
                                                   {"breakpoints": [{"name": n} for n in functions]})
        self.request("setExceptionBreakpoints", {"filters": exceptions or []})
        self.request("configurationDone")
        response = self.response(launched)
        if not response["success"]:
            raise DapError(response)
        return answered

    def stopped_frame(self, stopped: dict[str, Any]) -> dict[str, Any]:
        frames = self.request("stackTrace", {"threadId": stopped["threadId"]})["stackFrames"]
        return frames[0]

    def scope(self, frame_id: int, name: str) -> dict[str, Any]:
        """The variables of one scope as a dict name → variable."""
        scopes = {s["name"]: s for s in self.request("scopes", {"frameId": frame_id})["scopes"]}
        ref = scopes[name]["variablesReference"]
        return {v["name"]: v for v in self.request("variables", {"variablesReference": ref})["variables"]}

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(AssertionError, DapError, OSError):
                self.request("disconnect", {"terminateDebuggee": True})
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
