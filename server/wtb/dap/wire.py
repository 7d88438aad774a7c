"""Content-Length framing of DAP messages over a byte stream (the base protocol of DAP and LSP).

A header that cannot be parsed, or a body over :data:`MAX_BODY_BYTES`, ends the
connection: nothing after it can be trusted to start a message.
"""

from __future__ import annotations

import json
import threading
from typing import IO, Any

MAX_BODY_BYTES = 64 << 20
MAX_HEADER_LINE_BYTES = 1024


class FramingError(Exception):
    """The peer sent bytes that are not a framed message."""


class Wire:
    """Reads messages from one stream and writes them to another; writes are serialized."""

    def __init__(self, reader: IO[bytes], writer: IO[bytes]) -> None:
        self._reader = reader
        self._writer = writer
        self._lock = threading.Lock()

    def read(self) -> dict[str, Any] | None:
        """The next message, or ``None`` when the input ended between two messages."""
        length: int | None = None
        first = True
        while True:
            line = self._reader.readline(MAX_HEADER_LINE_BYTES + 1)
            if not line:
                if first:
                    return None
                raise FramingError("the input ended inside a message header")
            first = False
            if len(line) > MAX_HEADER_LINE_BYTES:
                raise FramingError("a header line is too long")
            text = line.decode("ascii", "replace").strip()
            if not text:
                break
            name, sep, value = text.partition(":")
            if not sep:
                raise FramingError(f"not a header: {text[:80]!r}")
            if name.strip().lower() == "content-length":
                if not value.strip().isdigit():
                    raise FramingError(f"bad Content-Length {value.strip()[:40]!r}")
                length = int(value.strip())
        if length is None:
            raise FramingError("a message without Content-Length")
        if length > MAX_BODY_BYTES:
            raise FramingError(f"a message of {length} bytes is over the limit of {MAX_BODY_BYTES}")
        body = self._reader.read(length)
        if len(body) < length:
            raise FramingError("the input ended inside a message body")
        message = json.loads(body)
        if not isinstance(message, dict):
            raise FramingError("a message that is not a JSON object")
        return message

    def write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, default=str).encode("utf-8")
        with self._lock:
            self._writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._writer.flush()
