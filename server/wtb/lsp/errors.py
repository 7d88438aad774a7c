"""Domain errors → JSON-RPC errors, in one place.

Handlers raise :class:`wtb.errors.WTBError` subclasses (or let the SDK raise them);
:func:`to_jsonrpc` is the only code that decides which JSON-RPC code a person sees. The
message is kept as the SDK wrote it: it names the thing and says what to do; only a
message longer than ``framing.MAX_ERROR_CHARS`` is clipped (one that quotes a huge
parameter back is never sent whole).
"""

from __future__ import annotations

import re
from typing import Any

from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcRequestCancelled,
)

from wtb import errors
from wtb.lsp import protocol
from wtb.lsp.framing import clip


class WorkspaceUntrustedError(errors.WTBError):
    """The workspace is not trusted: nothing that runs its code or writes its files."""


class BenchUnavailableError(errors.WTBError):
    """The bench (data directory, databases) could not be opened."""


class JsonRpcWtbError(JsonRpcException):
    """A WTB error with an application code (see ``protocol`` for the codes)."""


_CODES: list[tuple[type[BaseException], int]] = [
    (WorkspaceUntrustedError, protocol.WORKSPACE_UNTRUSTED),
    (BenchUnavailableError, protocol.BENCH_UNAVAILABLE),
    (errors.NotFoundError, protocol.NOT_FOUND),
    (errors.BusyError, protocol.BUSY),
    (errors.NotAvailableError, protocol.NOT_AVAILABLE),
    (errors.InvalidStateError, protocol.INVALID_STATE),
    (errors.WorkflowLoadError, protocol.WORKFLOW_LOAD),
    (errors.IntegrityError, protocol.INTEGRITY),
    (errors.InvalidArgumentError, protocol.INVALID_PARAMS),
    (errors.UnsafePathError, protocol.INVALID_PARAMS),
    (errors.NonSerializableStateError, protocol.INVALID_PARAMS),
    (errors.WTBError, protocol.REQUEST_FAILED),
]

_NOT_FOUND_KINDS: list[tuple[type[BaseException], str]] = [
    (errors.UnknownProjectError, "workflow"),
    (errors.UnknownExecutionError, "execution"),
    (errors.UnknownCheckpointError, "checkpoint"),
]


def code_for(exc: BaseException) -> int | None:
    """The JSON-RPC code of a domain error, ``None`` for anything else."""
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code
    return None


def to_jsonrpc(exc: BaseException) -> JsonRpcException:
    """Map any exception a handler let through to the JSON-RPC error the client gets."""
    if isinstance(exc, JsonRpcException):
        exc.message = clip(exc.message)
        return exc
    code = code_for(exc)
    if code is None:
        internal: JsonRpcException = JsonRpcInternalError.of(  # type: ignore[no-untyped-call]
            (type(exc), exc, exc.__traceback__)
        )
        internal.message = clip(internal.message)
        return internal
    data: dict[str, Any] = {"type": type(exc).__name__}
    for cls, kind in _NOT_FOUND_KINDS:
        if isinstance(exc, cls):
            data["kind"] = kind
    if isinstance(exc, errors.AsNodeRequiredError):
        data["candidates"] = exc.candidates or as_node_candidates(str(exc))
    message = clip(str(exc) or type(exc).__name__)
    if code == protocol.INVALID_PARAMS:
        return JsonRpcInvalidParams(message=message, data=data)
    return JsonRpcWtbError(message=message, code=code, data=data)


def as_node_candidates(message: str) -> list[str]:
    """The nodes an ``AsNodeRequiredError`` names: "... ran several nodes ('a', 'b'); ..." → [a, b].

    An error that crossed from a worker process carries them only in its message; the
    editor offers them in a pick.
    """
    found = re.search(r"nodes \(([^)]*)\)", message)
    return re.findall(r"'([^']*)'", found.group(1)) if found else []


def not_available(what: str) -> errors.NotAvailableError:
    """The one way to say that a protocol method has no engine behind it yet."""
    return errors.NotAvailableError(f"{what} is not available in this build of WTB yet.")


def cancelled(message: str) -> JsonRpcRequestCancelled:
    return JsonRpcRequestCancelled(message=message)
