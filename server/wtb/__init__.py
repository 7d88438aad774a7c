"""WTB, the Workflow Test Bench: checkpoint, roll back, fork and batch-run LangGraph workflows.

The public names are the original design's SDK. They are imported lazily so that
``import wtb`` (and the daemon's start-up) does not pay for LangGraph until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "EnvironmentConfig",
    "ExecutionConfig",
    "FileTrackingConfig",
    "NodeEnvironment",
    "NodeResourceConfig",
    "PauseStrategyConfig",
    "RayBatchTestRunner",
    "WTBSaver",
    "WTBTestBench",
    "WorkflowProject",
]

if TYPE_CHECKING:
    from wtb.batch import RayBatchTestRunner
    from wtb.engine.external_saver import WTBSaver
    from wtb.sdk import (
        EnvironmentConfig,
        ExecutionConfig,
        FileTrackingConfig,
        NodeEnvironment,
        NodeResourceConfig,
        PauseStrategyConfig,
        WorkflowProject,
        WTBTestBench,
    )


def __getattr__(name: str) -> Any:
    if name == "RayBatchTestRunner":
        from wtb.batch import RayBatchTestRunner

        return RayBatchTestRunner
    if name == "WTBSaver":
        from wtb.engine.external_saver import WTBSaver

        return WTBSaver
    if name in __all__:
        import wtb.sdk

        return getattr(wtb.sdk, name)
    raise AttributeError(f"module 'wtb' has no attribute {name!r}")
