"""The Ray actor of the pool: a long-lived worker process that runs variants one at a time.

Actors are reused across variants (a fresh process per variant would pay Python,
LangGraph and WTB imports each time); isolation comes from :func:`run_variant` giving
every variant a fresh data dir and workspace. The class is plain Python; the pool wraps
it with ``ray.remote`` at run time, so importing it never imports Ray.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any, TypedDict

from wtb.batch.task import VariantTask
from wtb.batch.worker import run_variant, scratch_root

logger = logging.getLogger(__name__)


class _PrimeState(TypedDict, total=False):
    n: int


class VariantActor:
    """Runs :class:`VariantTask` s in a scratch directory of its own."""

    def __init__(self, label: str) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        # Nothing of the actor's outlives a variant on disk: Ray may stop an idle actor at any
        # time (ray.shutdown) without a chance to clean up. Directories carry the label, so
        # the driver can remove what a killed actor left.
        self.scratch = scratch_root()
        self.prefix = f"wtb-batch-{label}-"
        self.where = _where()
        self._prime()

    def _prime(self) -> None:
        """Run a one-node workflow once, so the first variant does not pay for lazy imports.

        LangGraph, WTB's engine and the file tracker import much of themselves on first
        use (compile, stream, snapshot); measured here, the first variant in a fresh
        process took seconds longer than the next. Paying that while the actor starts
        makes ``warm_up`` mean ready, and overlaps it with the other actors starting.
        """
        from langgraph.graph import END, START, StateGraph

        from wtb.batch import files
        from wtb.config import FileTrackingConfig, WorkflowProject
        from wtb.engine import runs
        from wtb.engine.services import Services

        graph = StateGraph(_PrimeState)
        graph.add_node("prime", lambda state: {"n": 1})
        graph.add_edge(START, "prime")
        graph.add_edge("prime", END)
        place = Path(tempfile.mkdtemp(prefix=self.prefix + "prime-", dir=self.scratch))
        (place / "ws").mkdir()
        try:
            services = Services(place / "ws", place / "data", FileTrackingConfig(watch=False))
            try:
                pending = runs.create_execution(services, WorkflowProject("prime", graph), {})
                execution = runs.run_execution(services, pending.id)
                if services.tracker is not None:
                    files.export_execution(services.tracker, execution.id, set())
            finally:
                services.close()
        except Exception:  # priming is an optimisation: a failure here must not stop the actor
            logger.warning("priming the batch actor failed", exc_info=True)
        finally:
            shutil.rmtree(place, ignore_errors=True)

    def info(self) -> dict[str, Any]:
        return {**self.where, "pid": os.getpid(), "scratch": str(self.scratch)}

    def run(self, task: bytes, base_files: bytes | None) -> bytes:
        """Run one variant; ``task`` is a pickled :class:`VariantTask` (plain data, see ``wtb.batch.code``)."""
        loaded: VariantTask = pickle.loads(task)
        return run_variant(loaded, base_files, self.scratch, self.prefix, self.where)


def _where() -> dict[str, Any]:
    """The Ray node this actor runs on, for the variant results (where did it run?)."""
    try:
        import ray

        return {"node_id": ray.get_runtime_context().get_node_id()}
    except Exception:  # not in Ray (tests calling the class directly)
        return {}
