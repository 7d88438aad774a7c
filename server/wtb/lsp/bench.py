"""The daemon's one bench, opened lazily and called off the event loop.

``initialize`` must answer fast, so the bench (databases, file watcher, and the
LangGraph imports behind them) is opened in a thread after ``initialized``. Every SDK
call is blocking; :meth:`BenchHost.call` runs it in a small thread pool of its own (not
pygls' pool, which also reads stdin) so that a slow call never stalls the protocol.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from wtb import errors
from wtb.lsp.errors import BenchUnavailableError, not_available

logger = logging.getLogger(__name__)

T = TypeVar("T")


def bench_class() -> Any:
    """``wtb.WTBTestBench``, imported on first use (it pulls in LangGraph)."""
    import wtb

    cls = getattr(wtb, "WTBTestBench", None)
    if cls is None:
        try:
            from wtb.sdk import WTBTestBench  # type: ignore[attr-defined]
        except ImportError:
            raise not_available("The SDK (wtb.WTBTestBench)") from None
        cls = WTBTestBench
    return cls


class BenchHost:
    """Owns the bench: opens it once, hands it to blocking calls in threads, closes it."""

    def __init__(self, max_workers: int = 4) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="wtb-bench")
        self._opening: asyncio.Future[Any] | None = None
        self._bench: Any = None
        self._closed = False
        self._lock = threading.Lock()
        self.workspace: Path | None = None
        self.data_dir: Path | None = None
        #: set by the server: opens the bench when a request comes before ``initialized``
        self.opener: Callable[[], None] | None = None

    @property
    def bench(self) -> Any:
        """The open bench or ``None`` (for code that must not wait, e.g. shutdown)."""
        return self._bench

    def open(self, workspace: Path, data_dir: Path, file_tracking: Any = None) -> None:
        """Start opening the bench in a thread (idempotent); requests await :meth:`get`."""
        if self._opening is not None:
            return
        self.workspace, self.data_dir = workspace, data_dir
        loop = asyncio.get_running_loop()
        self._opening = asyncio.ensure_future(
            loop.run_in_executor(self._executor, partial(self._open, workspace, data_dir, file_tracking))
        )

    def _open(self, workspace: Path, data_dir: Path, file_tracking: Any) -> Any:
        bench = bench_class().create(
            mode="development", data_dir=data_dir, workspace=workspace, file_tracking=file_tracking
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

        def done(future: asyncio.Future[Any]) -> None:
            if not future.cancelled() and future.exception() is None:
                callback()

        opening.add_done_callback(done)

    async def get(self) -> Any:
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

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``bench.<method>(*args, **kwargs)`` in a thread; a method the SDK lacks is NotAvailable."""
        bench = await self.get()
        fn = getattr(bench, method, None)
        if fn is None:
            raise not_available(f"WTBTestBench.{method}")

        def invoke() -> Any:
            try:
                return fn(*args, **kwargs)
            except NotImplementedError as exc:
                raise not_available(f"WTBTestBench.{method}") from exc

        return await self.run(invoke)

    def has(self, method: str) -> bool:
        return self._bench is not None and callable(getattr(self._bench, method, None))

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
