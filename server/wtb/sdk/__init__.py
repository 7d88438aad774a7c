"""The public SDK: the bench, projects and their configuration records.

The configuration records import nothing heavy; the bench (and with it LangGraph) is
imported on first use, so ``wtb.config`` stays cheap for the daemon and workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wtb.config import (
    EnvironmentConfig,
    ExecutionConfig,
    FileTrackingConfig,
    NodeEnvironment,
    NodeResourceConfig,
    PauseStrategyConfig,
    WorkflowProject,
)

if TYPE_CHECKING:
    from wtb.sdk.bench import WTBTestBench

__all__ = [
    "EnvironmentConfig",
    "ExecutionConfig",
    "FileTrackingConfig",
    "NodeEnvironment",
    "NodeResourceConfig",
    "PauseStrategyConfig",
    "WTBTestBench",
    "WorkflowProject",
]


def __getattr__(name: str) -> Any:
    if name == "WTBTestBench":
        from wtb.sdk.bench import WTBTestBench

        return WTBTestBench
    raise AttributeError(f"module 'wtb.sdk' has no attribute {name!r}")
