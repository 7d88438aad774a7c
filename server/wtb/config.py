"""The configuration records: :class:`WorkflowProject` and what it is made of.

The names and fields come from the original design and are public API. Each record is
a frozen dataclass so that a project can be shared between threads and processes (the
batch runner ships them to Ray actors) without anyone changing it underneath.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

DEFAULT_IGNORES: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    ".wtb/",
    ".venv/",
    "venv/",
    "env/",
    ".tox/",
    "node_modules/",
    "__pycache__/",
    "*.pyc",
    ".mypy_cache/",
    ".ruff_cache/",
    ".pytest_cache/",
    ".env",  # secrets (langgraph.json's "env"): never copied into WTB's store; `!.env` in .wtbignore tracks it
)


@dataclass(frozen=True)
class FileTrackingConfig:
    """Which workspace files are recorded at every checkpoint.

    ``paths`` are workspace-relative roots; ``ignore`` adds gitignore-style patterns to
    the built-in ones, ``.gitignore`` and ``.wtbignore``. Files larger than
    ``max_file_size`` (``"50MB"``, ``"512KB"`` or a byte count) are listed as skipped.
    ``watch`` keeps a file watcher so snapshots cost what changed; ``watcher`` picks it:
    "auto" (WTB's inotify reader on Linux, watchdog's native observer elsewhere),
    "inotify", "watchdog" or "polling" (watchdog's polling observer: any file system).
    """

    enabled: bool = True
    paths: tuple[str, ...] | list[str] = (".",)
    ignore: tuple[str, ...] | list[str] = ()
    max_file_size: str | int = "50MB"
    watch: bool = True
    watcher: str = "auto"


@dataclass(frozen=True)
class NodeEnvironment:
    """The Python environment one node runs in (a venv built from requirements, or given)."""

    python: str | None = None
    requirements: tuple[str, ...] | list[str] = ()
    venv: str | None = None
    entrypoint: str | None = None


@dataclass(frozen=True)
class EnvironmentConfig:
    """Per-node Python environments and environment variables for runs.

    ``env_vars`` are set while the workflow is imported and while it runs; ``env_file`` (a
    dotenv file, relative to the workspace: ``langgraph.json``'s ``"env": ".env"``) fills in
    the names that neither they nor the process environment set (``engine/run_env.py``).
    """

    node_envs: dict[str, NodeEnvironment] = field(default_factory=dict)
    env_vars: dict[str, str] = field(default_factory=dict)
    env_file: str | None = None
    #: Folders (relative to the workspace) on ``sys.path`` while the workflow is imported:
    #: ``langgraph.json``'s local ``dependencies`` (``["./src"]``), as ``langgraph dev`` does.
    python_path: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NodeResourceConfig:
    """Ray resources one node asks for in a batch (``memory`` like ``"2GB"``)."""

    num_cpus: float = 1
    num_gpus: float = 0
    memory: str | int | None = None


@dataclass(frozen=True)
class ExecutionConfig:
    """How a run executes.

    ``workspace="shared"`` runs in the user's workspace; ``"isolated"`` in a directory of
    the data dir materialised from the checkpoint's snapshot. ``durability`` is LangGraph's
    (WTB forces ``"sync"`` while files are tracked: a snapshot must see exactly the files of
    its step). ``timeout_s`` bounds a run
    started by the daemon. ``ray_address`` (``HOST:PORT``, ``ray://HOST:10001``, ``auto``),
    ``max_parallel``, ``node_resources`` and ``runtime_env`` (Ray's: ``pip``, ``env_vars``…,
    given to the batch's actors over ``[tool.wtb.batch] runtime_env``) are used by batches
    (``docs/cluster.md``); ``replay`` / ``replay_nodes`` by record/replay.
    """

    workspace: Literal["shared", "isolated"] = "shared"
    timeout_s: float | None = None
    recursion_limit: int = 1000
    durability: Literal["sync", "async", "exit"] = "async"
    ray_address: str | None = None
    max_parallel: int | None = None
    node_resources: dict[str, NodeResourceConfig] = field(default_factory=dict)
    runtime_env: dict[str, Any] = field(default_factory=dict)
    replay: Literal["off", "recorded"] = "off"
    replay_nodes: tuple[str, ...] | list[str] = ()


@dataclass(frozen=True)
class PauseStrategyConfig:
    """Where a run stops for inspection (LangGraph's ``interrupt_before``/``_after``)."""

    before: tuple[str, ...] | list[str] = ()
    after: tuple[str, ...] | list[str] = ()
    on_error: bool = False
    every_step: bool = False


@dataclass
class WorkflowProject:
    """A workflow WTB can run.

    ``graph`` is a reference ``"path/file.py:attr"`` (relative to the workspace) naming a
    ``StateGraph``, a compiled graph or a factory making one (``engine/loader.py``), or the
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
