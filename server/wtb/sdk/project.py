"""``WorkflowProject``: a named workflow plus how WTB should run and track it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wtb.sdk.config import (
    EnvironmentConfig,
    ExecutionConfig,
    FileTrackingConfig,
    PauseStrategyConfig,
)


@dataclass
class WorkflowProject:
    """A workflow WTB can run.

    ``graph`` is a reference ``"path/file.py:attr"`` (relative to the workspace) naming a
    ``StateGraph``, a compiled graph or a zero-argument factory returning either, or the
    object itself. ``source`` is where the project was declared (``langgraph.json``,
    ``pyproject.toml``) or ``None`` when registered in code.
    """

    name: str
    graph: Any
    file_tracking: FileTrackingConfig = field(default_factory=FileTrackingConfig)
    environment: EnvironmentConfig = field(default_factory=EnvironmentConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    pause: PauseStrategyConfig = field(default_factory=PauseStrategyConfig)
    source: Path | None = None

    @property
    def reference(self) -> str | None:
        """The ``file.py:attr`` reference, when the graph is given by one."""
        return self.graph if isinstance(self.graph, str) else None
