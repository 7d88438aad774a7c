"""The public SDK: the bench, projects and their configuration records."""

from wtb.sdk.bench import WTBTestBench
from wtb.sdk.config import (
    EnvironmentConfig,
    ExecutionConfig,
    FileTrackingConfig,
    NodeEnvironment,
    NodeResourceConfig,
    PauseStrategyConfig,
)
from wtb.sdk.project import WorkflowProject

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
