"""The daemon's one bench, opened lazily and called off the event loop.

``initialize`` must answer fast, so the bench (databases, file watcher, and the
LangGraph imports behind them) is opened in a thread after ``initialized``. Every SDK
call is blocking; :meth:`BenchHost.call` runs it in a small thread pool of its own (not
pygls' pool, which also reads stdin) so that a slow call never stalls the protocol.
Calls are typed: ``await host.call(lambda bench: bench.get_execution(id))`` is checked
by mypy against :class:`~wtb.sdk.bench.WTBTestBench`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from wtb import errors
from wtb.config import FileTrackingConfig
from wtb.lsp.errors import BenchUnavailableError

if TYPE_CHECKING:
    from wtb.sdk.bench import WTBTestBench

logger = logging.getLogger(__name__)

T = TypeVar("T")


class BenchHost:
    """Owns the bench: opens it once, hands it to blocking calls in threads, closes it."""

    def __init__(self, max_workers: int = 4) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="wtb-bench")
        self._opening: asyncio.Future[WTBTestBench] | None = None
        self._bench: WTBTestBench | None = None
        self._closed = False
        self._lock = threading.Lock()
        self.workspace: Path | None = None
        self.data_dir: Path | None = None
        #: set by the server: opens the bench when a request comes before ``initialized``
        #: (and again when its data directory was deleted, see :meth:`get`)
        self.opener: Callable[[], None] | None = None
        #: set by the server: told why the bench was opened afresh (its data directory was deleted)
        self.on_reopen: Callable[[str], None] | None = None

    @property
    def bench(self) -> WTBTestBench | None:
        """The open bench or ``None`` (for code that must not wait, e.g. shutdown)."""
        return self._bench

    def open(
        self,
        workspace: Path,
        data_dir: Path,
        file_tracking: FileTrackingConfig | None = None,
        trusted: bool = True,
    ) -> None:
        """Start opening the bench in a thread (idempotent); requests await :meth:`get`.

        ``trusted``: false for an untrusted workspace (see ``WTBTestBench.create``)."""
        if self._opening is not None:
            return
        self.workspace, self.data_dir = workspace, data_dir
        loop = asyncio.get_running_loop()
        self._opening = asyncio.ensure_future(
            loop.run_in_executor(self._executor, partial(self._open, workspace, data_dir, file_tracking, trusted))
        )

    def _open(
        self, workspace: Path, data_dir: Path, file_tracking: FileTrackingConfig | None, trusted: bool
    ) -> WTBTestBench:
        from wtb.sdk.bench import WTBTestBench  # pulls in LangGraph: not at the daemon's start

        bench = WTBTestBench.create(
            mode="development", data_dir=data_dir, workspace=workspace, file_tracking=file_tracking, trusted=trusted
        )
        with self._lock:
            if self._closed:  # shut down while opening
                bench.close()
                raise BenchUnavailableError("The daemon is shutting down.")
            self._bench = bench
        logger.info("bench open: workspace %s, data dir %s", workspace, data_dir)
        return bench

    def when_open(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the event loop once the bench has opened (not if it failed)."""
        opening = self._opening
        if opening is None:
            return

        def done(future: asyncio.Future[WTBTestBench]) -> None:
            if not future.cancelled() and future.exception() is None:
                callback()

        opening.add_done_callback(done)

    async def get(self) -> WTBTestBench:
        """The open bench; opened afresh when its data directory was deleted since.

        The daemon outlives what happens to the workspace: ``git clean -x`` or ``rm -rf .wtb``
        in a terminal leaves it reading and writing databases nothing else can see, while
        the next run's worker starts a new data directory. One ``stat`` a request notices it.
        """
        bench = await self._get_open()
        why = bench.services.data_dir_identity.lost()
        if why is None:
            return bench
        self._forget(bench, why)
        return await self._get_open()

    def _forget(self, stale: WTBTestBench, why: str) -> None:
        """Drop a bench whose data directory is gone and start opening a new one there."""
        with self._lock:
            if self._bench is not stale or self._closed:
                return  # another request did it already
            self._bench, self._opening = None, None
        message = (
            f"WTB's data directory {self.data_dir} {why} while the daemon had it open; "
            "a new, empty one is used from now on (the history that was in it is gone)."
        )
        logger.warning(message)
        self._executor.submit(stale.close)
        if self.on_reopen is not None:
            self.on_reopen(message)

    async def _get_open(self) -> WTBTestBench:
        if self._opening is None and self.opener is not None and not self._closed:
            self.opener()
        if self._opening is None:
            raise BenchUnavailableError("The daemon has not been initialized with a workspace yet.")
        try:
            return await asyncio.shield(self._opening)
        except errors.NotAvailableError:
            raise
        except errors.WTBError as exc:
            raise BenchUnavailableError(f"The WTB data directory could not be opened: {exc}") from exc
        except Exception as exc:
            raise BenchUnavailableError(
                f"The WTB data directory {self.data_dir} could not be opened: {type(exc).__name__}: {exc}"
            ) from exc

    async def run(self, fn: Callable[[], T]) -> T:
        """Run a blocking callable in the bench's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    async def call(self, fn: Callable[[WTBTestBench], T]) -> T:
        """``fn(bench)`` in the bench's thread pool, once the bench is open."""
        bench = await self.get()
        return await self.run(lambda: fn(bench))

    def close(self) -> None:
        """Close the bench (stops its file watcher). Safe to call twice, from any thread."""
        with self._lock:
            self._closed = True
            bench, self._bench = self._bench, None
        if bench is not None:
            try:
                bench.close()
            except Exception:
                logger.exception("closing the bench failed")
        self._executor.shutdown(wait=False, cancel_futures=True)
