"""The table of ``wtb/*`` request handlers, filled by ``@request`` in ``queries`` and ``actions``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer

Handler = Callable[["WtbLanguageServer", Any], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}
F = TypeVar("F", bound=Handler)


def request(method: str) -> Callable[[F], F]:
    """Register the handler of one ``protocol.REQUESTS`` method (params already structured)."""

    def decorator(fn: F) -> F:
        if method in HANDLERS:
            raise RuntimeError(f"two handlers for {method}")
        HANDLERS[method] = fn
        return fn

    return decorator
