"""The daemon's message loop: strict LSP framing, bounded sizes, nothing big echoed back.

pygls' own loop (``pygls.io_.run_async``) skips any header it cannot parse and waits for
the next one: after ``Content-Length: abc`` the daemon reads the message body as headers
and then waits for ever, and so does the editor. It also reads any ``Content-Length``
whole, and answers a request with its id, whatever its size (a 50 MB id came back in a
52 MB error, and was written to the log).

This loop replaces it for the stdio transport (see ``WtbLanguageServer.start_io``):

* **Broken framing closes the connection.** A header that is not ``Name: value``, a
  ``Content-Length`` that is missing, not a decimal number, or above
  :data:`MAX_BODY_BYTES`, a header line above :data:`MAX_HEADER_LINE_BYTES`, more than
  :data:`MAX_HEADERS` headers, or the input ending inside a message: nothing after it can
  be trusted to start a message, so the loop logs why and ends; the daemon then exits
  with status 1 and the editor restarts it.
* **A well-framed message that is not a usable request is answered, not obeyed.** JSON
  that does not parse gets a Parse error (-32700) with id ``null``; an id that is not a
  string or an integer, or is longer than :data:`MAX_ID_CHARS` characters, and a method
  name longer than :data:`MAX_METHOD_CHARS`, get an Invalid Request error (-32600) with id
  ``null`` that gives only their length. The daemon goes on serving.
* Error messages the daemon writes are clipped to :data:`MAX_ERROR_CHARS` (see
  :func:`clip`), so a huge parameter is never echoed back in full either.

Messages are handed to pygls through its public protocol methods
(``structure_message``, ``handle_message``); only the reading of bytes is ours.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdinAsyncReader
from pygls.protocol import JsonRPCProtocol

#: The largest message body the daemon reads (WTB's largest requests are a few MB of state).
MAX_BODY_BYTES = 64 << 20
#: The longest header line (``Content-Length: 67108864`` is 24 bytes).
MAX_HEADER_LINE_BYTES = 1024
#: Headers per message (LSP has two: ``Content-Length`` and ``Content-Type``).
MAX_HEADERS = 16
#: The longest request id (a string, or an integer's decimal digits) the daemon accepts.
MAX_ID_CHARS = 256
#: The longest method name the daemon accepts.
MAX_METHOD_CHARS = 256
#: The longest error message (or part of one) the daemon writes.
MAX_ERROR_CHARS = 2000

_HEADER_NAME = re.compile(rb"[A-Za-z0-9-]+")

INVALID_REQUEST = -32600
PARSE_ERROR = -32700

ErrorHandler = Callable[[Exception, type[JsonRpcException]], Any]


class FramingError(Exception):
    """The byte stream does not follow LSP's framing: the connection cannot go on."""


class BoundedStdinReader(StdinAsyncReader):
    """pygls' stdin reader, but a line is read up to :data:`MAX_HEADER_LINE_BYTES` + 1
    bytes (a header line without an end is not held in memory whole)."""

    def readline(self) -> Awaitable[bytes]:
        return self.loop.run_in_executor(  # type: ignore[no-any-return]
            self.executor, self.stdin.readline, MAX_HEADER_LINE_BYTES + 1
        )


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` cut to about ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters left out)"


async def read_body(reader: Any) -> bytes | None:
    """The next message's body, or None when the input ended between messages.

    ``reader`` has pygls' ``AsyncReader`` methods (``readline``, ``readexactly``).
    Raises :class:`FramingError` when the headers are broken or the input ends inside a message.
    """
    length: int | None = None
    for count in range(MAX_HEADERS + 1):
        line: bytes = await reader.readline()
        if not line:
            if count:
                raise FramingError("the input ended inside a message's headers")
            return None
        if len(line) > MAX_HEADER_LINE_BYTES:
            raise FramingError(f"a header line is longer than {MAX_HEADER_LINE_BYTES} bytes")
        if not line.endswith(b"\n"):
            raise FramingError("the input ended inside a message's headers")
        text = line.rstrip(b"\r\n")
        if not text:
            if length is None:
                raise FramingError("a message has no Content-Length header")
            break
        if count == MAX_HEADERS:
            raise FramingError(f"a message has more than {MAX_HEADERS} headers")
        name, sep, value = text.partition(b":")
        if not sep or not _HEADER_NAME.fullmatch(name) or not value.isascii():
            raise FramingError(f"not a header: {_shown(text)}")
        if name.lower() != b"content-length":
            continue  # Content-Type: LSP has one encoding, utf-8
        if length is not None:
            raise FramingError("a message has two Content-Length headers")
        digits = value.strip()
        if not digits.isdigit() or len(digits) > 12:
            raise FramingError(f"Content-Length is not a byte count: {_shown(digits)}")
        length = int(digits)
        if length > MAX_BODY_BYTES:
            raise FramingError(f"a message of {length} bytes is larger than the limit of {MAX_BODY_BYTES} bytes")
    assert length is not None
    body: bytes = await reader.readexactly(length) if length else b""
    if len(body) != length:
        raise FramingError(f"the input ended inside a message ({len(body)} of {length} bytes)")
    return body


def refusal(data: Any) -> str | None:
    """Why a parsed message cannot be handled (said without echoing it), or None."""
    if not isinstance(data, dict):
        return "a message must be a JSON object"
    if "id" in data:
        msg_id = data["id"]
        if isinstance(msg_id, bool) or not isinstance(msg_id, (str, int)):
            return "the id must be a string or an integer"
        size = len(msg_id) if isinstance(msg_id, str) else len(str(msg_id))
        if size > MAX_ID_CHARS:
            return f"the id is {size} characters long; WTB accepts ids of up to {MAX_ID_CHARS}"
    method = data.get("method")
    if method is not None:
        if not isinstance(method, str):
            return "the method must be a string"
        if len(method) > MAX_METHOD_CHARS:
            return f"the method name is {len(method)} characters long; WTB accepts up to {MAX_METHOD_CHARS}"
    return None


def _shown(raw: bytes) -> str:
    """Header bytes for a log line: at most 64 of them, escaped."""
    return repr(raw[:64])[1:] + (f" ({len(raw) - 64} more bytes)" if len(raw) > 64 else "")


def frame(message: dict[str, Any]) -> bytes:
    """One message as LSP puts it on the wire."""
    body = json.dumps(message).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class MessageLoop:
    """Reads framed messages from ``reader`` and hands them to ``protocol`` until the input
    ends, ``stop_event`` is set, or the framing breaks (:attr:`broken` then says why)."""

    def __init__(
        self,
        reader: Any,
        protocol: JsonRPCProtocol,
        write: Callable[[bytes], object],
        stop_event: threading.Event,
        logger: logging.Logger,
        error_handler: ErrorHandler | None = None,
    ) -> None:
        self.reader = reader
        self.protocol = protocol
        self.write = write  # the transport's writer, for answers pygls cannot give (no usable id)
        self.stop_event = stop_event
        self.logger = logger
        self.error_handler = error_handler
        self.broken: str | None = None

    async def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                body = await read_body(self.reader)
            except FramingError as exc:
                self.broken = str(exc)
                self.logger.error("closing the connection: %s", exc)
                return
            if body is None:
                return
            self.handle(body)

    def handle(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, too many digits, too deep
            self.logger.warning("a message of %d bytes is not JSON: %s", len(body), clip(str(exc), 200))
            self._answer_without_id(PARSE_ERROR, f"Parse error: {clip(str(exc), 200)}")
            return
        why = refusal(data)
        if why is not None:
            self.logger.warning("refused a message of %d bytes: %s", len(body), why)
            if not isinstance(data, dict) or ("id" in data and "method" in data):
                self._answer_without_id(INVALID_REQUEST, f"Invalid Request: {why}")
            return  # a notification, or a response to the daemon: nobody waits for an answer
        try:
            message = self.protocol.structure_message(data)
        except JsonRpcException as exc:
            self.logger.warning("could not read a %r message: %s", data.get("method"), clip(exc.message, 200))
            if "id" in data and "method" in data:
                self._answer(data["id"], exc.code, clip(exc.message))
            return
        try:
            self.protocol.handle_message(message)
        except Exception as exc:
            self.logger.exception("Unable to handle message")
            if self.error_handler is not None:
                self.error_handler(exc, JsonRpcException)

    def _answer_without_id(self, code: int, message: str) -> None:
        self._answer(None, code, message)

    def _answer(self, msg_id: int | str | None, code: int, message: str) -> None:
        self.write(frame({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}))
