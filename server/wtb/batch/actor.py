"""The Ray actor of the pool: a long-lived worker process that runs variants one at a time.

Actors are reused across variants (a fresh process per variant would pay Python,
LangGraph and WTB imports each time); isolation comes from :func:`run_variant` giving
every variant a fresh data dir and workspace. The class is plain Python; the pool wraps
it with ``ray.remote`` at run time, so importing it never imports Ray.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from wtb.batch.worker import VariantTask, run_variant


class VariantActor:
    """Runs :class:`VariantTask` s in a scratch directory of its own."""

    def __init__(self, label: str) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        self.scratch = Path(tempfile.mkdtemp(prefix=f"wtb-batch-{label}-"))
        # Import the heavy parts now, while the other actors start too, not in the first variant.
        import wtb.engine.controller  # noqa: F401
        import wtb.sdk.bench  # noqa: F401

    def info(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "scratch": str(self.scratch)}

    def run(self, task: VariantTask, base_files: bytes | None) -> bytes:
        return run_variant(task, base_files, self.scratch)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
