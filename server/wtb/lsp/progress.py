"""Work-done progress for runs: begin with the workflow's name, a report per super-step, end with the status.

The token is the client's ``workDoneToken`` when the request carried one, otherwise one the
server creates with ``window/workDoneProgress/create`` (only if the client said it
supports that). A client that cancels the progress (``window/workDoneProgress/cancel``)
cancels the run: :meth:`RunProgress.on_cancel` is told.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from wtb.lsp.server import WtbLanguageServer

logger = logging.getLogger(__name__)

CREATE_TIMEOUT_S = 15.0


def client_supports_progress(ls: WtbLanguageServer) -> bool:
    try:
        window = ls.client_capabilities.window
    except (AttributeError, RuntimeError):
        return False
    return bool(window and window.work_done_progress)


async def obtain_token(ls: WtbLanguageServer, given: types.ProgressToken | None) -> types.ProgressToken | None:
    """The client's token, or a fresh server-created one, or ``None`` (no progress UI)."""
    if given is not None:
        return given
    if not client_supports_progress(ls):
        return None
    token = f"wtb-{uuid.uuid4().hex[:12]}"
    try:
        await asyncio.wait_for(ls.work_done_progress.create_async(token), CREATE_TIMEOUT_S)
    except Exception as exc:
        logger.warning("client refused work done progress token %s: %s", token, exc)
        return None
    return token


class RunProgress:
    """One progress bar in the client, for one run."""

    def __init__(self, ls: WtbLanguageServer, token: types.ProgressToken, title: str) -> None:
        self._ls = ls
        self.token = token
        self._title = title
        self._ended = False

    def begin(self, message: str, on_cancel: Callable[[], None] | None = None) -> None:
        self._ls.work_done_progress.begin(
            self.token,
            types.WorkDoneProgressBegin(title=self._title, message=message, cancellable=True),
        )
        future = self._ls.work_done_progress.tokens.get(self.token)
        if future is not None and on_cancel is not None:

            def cancelled(fut: object) -> None:
                if getattr(fut, "cancelled", lambda: False)() and not self._ended:
                    on_cancel()

            future.add_done_callback(cancelled)

    def report(self, message: str) -> None:
        if not self._ended:
            self._ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(message=message))

    def end(self, message: str) -> None:
        if self._ended:
            return
        self._ended = True
        self._ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        future = self._ls.work_done_progress.tokens.pop(self.token, None)
        if future is not None and not future.done():
            future.set_result(None)
