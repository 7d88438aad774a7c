"""``Services``: every part of an open data directory, built in one place.

The application's modules (runs, inspection, fork, rollback, retention; batches and
golden checks above them) receive this one object instead of reaching into the SDK
facade. It owns the connections and the file tracker, so :meth:`Services.close` is the
only place they are closed. Building it finishes any rollback a crash interrupted.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph

from wtb.config import FileTrackingConfig, PauseStrategyConfig, WorkflowProject
from wtb.datafs import DirectoryIdentity
from wtb.engine import discovery, liveness, loader, run_env
from wtb.engine.checkpointer import TrackingSaver, open_checkpoint_db
from wtb.engine.controller import ExecutionController
from wtb.engine.rollback import RollbackService
from wtb.engine.state_adapter import StateAdapter
from wtb.errors import DataDirectoryLostError, InvalidArgumentError, InvalidStateError, UnknownProjectError
from wtb.locks import Locks
from wtb.store.db import Database
from wtb.store.executions import ExecutionStore
from wtb.store.goldens import GoldenStore
from wtb.store.outbox import Outbox
from wtb.store.views import ViewStore

if TYPE_CHECKING:
    from wtb.engine.node_proxy import NodeProcess
    from wtb.filetrack import SqliteFileTrackingService

logger = logging.getLogger(__name__)


class Services:
    """The stores, the checkpointer, the file tracker, the locks and the run controller of one data dir."""

    def __init__(
        self,
        workspace: Path,
        data_dir: Path,
        file_tracking: FileTrackingConfig,
        owns_data_dir: bool = False,
        trusted: bool = True,
    ) -> None:
        self.workspace = workspace
        self.data_dir = data_dir
        self.file_tracking = file_tracking
        self.owns_data_dir = owns_data_dir
        self.projects: dict[str, WorkflowProject] = {}  # registered in code; discovery finds the rest
        self.isolated_trackers: list[SqliteFileTrackingService] = []
        self.node_processes: dict[str, NodeProcess] = {}
        #: Called by :meth:`close` first: what application services opened for this bench
        #: (a batch's connection to a Ray cluster) ends with it.
        self.on_close: list[Callable[[], None]] = []
        self.closed = False
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir_identity = DirectoryIdentity(data_dir)
        self.db = Database(data_dir / "wtb.db")
        self.executions = ExecutionStore(self.db, decode=self._decode_input)
        self.views = ViewStore(self.db)
        self.outbox = Outbox(self.db)
        self.goldens = GoldenStore(self.db)
        self.locks = Locks(data_dir)
        self.checkpoint_path = data_dir / "wtb_checkpoints.db"
        # An untrusted data dir's checkpoints are read without importing the classes they
        # name (LangGraph's strict msgpack: unknown types come back as their plain fields).
        serde = None if trusted else JsonPlusSerializer(allowed_msgpack_modules=None)
        self.saver = TrackingSaver(open_checkpoint_db(self.checkpoint_path), serde=serde)
        self.saver.setup()
        self.adapter = StateAdapter(self.saver, self.views)
        self.tracker = self._open_tracker()
        self.controller = ExecutionController(self.checkpoint_path, self.executions, self.views)
        self.rollbacks = RollbackService(self.db, self.executions, self.outbox, self.adapter, self.tracker, self.locks)
        if trusted:  # an untrusted workspace's daemon never writes its files (see pending_rollbacks)
            self.rollbacks.recover()
        liveness.reap_dead_runs(self)  # untrusted too: it writes wtb.db rows only (see liveness.py)

    def _decode_input(self, typed: tuple[str, bytes]) -> Any:
        """An execution's stored input, read like its checkpoints (strictly when untrusted)."""
        return self.saver.serde.loads_typed(typed)

    def pending_rollbacks(self) -> list[str]:
        """Executions whose rollback a dead process left half-done: the next trusted open
        finishes them."""
        entries = self.outbox.pending("rollback") + self.outbox.pending("undo_rollback")
        return sorted({str(entry.execution_id) for entry in entries})

    def check_data_dir(self, happened: str = "") -> None:
        """Raise :class:`DataDirectoryLostError` when the data directory opened is gone from its path.

        The open databases would go on taking writes that nothing can read back (see
        ``DirectoryIdentity``); ``happened`` says what that meant for the caller.
        """
        why = self.data_dir_identity.lost()
        if why is not None:
            raise DataDirectoryLostError(
                f"WTB's data directory {self.data_dir} {why} while WTB had it open{happened}: what WTB "
                "recorded since is gone with it. Something deleted it (a node that empties the workspace, "
                "`git clean -x`, `rm -rf`); keep it out of what gets deleted, or give WTB one outside the "
                "workspace (--data-dir, data_dir=). Open WTB again (a new WTBTestBench, the next `wtb` "
                "command, the editor's daemon on its next request) to start a new history there."
            )

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for hook in self.on_close:
            try:
                hook()
            except Exception:
                logger.warning("a close hook failed", exc_info=True)
        for process in self.node_processes.values():
            process.close()
        for tracker in [self.tracker, *self.isolated_trackers]:
            if tracker is not None:
                tracker.close()
        self.saver.conn.close()
        self.db.close()
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _open_tracker(self) -> SqliteFileTrackingService | None:
        if not self.file_tracking.enabled:
            return None
        from wtb.filetrack import SqliteFileTrackingService

        tracker = SqliteFileTrackingService(self.workspace, self.data_dir, self.file_tracking)
        tracker.start()
        return tracker

    def tracker_or_fail(self) -> SqliteFileTrackingService:
        if self.tracker is None:
            raise InvalidStateError("File tracking is off for this bench (FileTrackingConfig(enabled=False)).")
        return self.tracker

    # -- workflows --

    def register_project(self, project: WorkflowProject) -> None:
        self.projects[project.name] = project

    def list_projects(self) -> list[WorkflowProject]:
        found = discovery.discover(self.workspace)
        found.update(self.projects)
        return [found[name] for name in sorted(found)]

    def get_project(self, name: str) -> WorkflowProject:
        if name in self.projects:
            return self.projects[name]
        found = discovery.discover(self.workspace)
        if name not in found:
            known = ", ".join(sorted({*found, *self.projects})) or "none"
            raise UnknownProjectError(
                f"No workflow named {name!r}. Known workflows: {known}. Declare it in langgraph.json "
                "or [tool.wtb.workflows], or call bench.register_project()."
            )
        return found[name]

    def project_of(self, project: str | WorkflowProject) -> WorkflowProject:
        """A project given by name, or by object (which registers it)."""
        if isinstance(project, WorkflowProject):
            self.register_project(project)
            return project
        return self.get_project(project)

    def load_graph(self, project: WorkflowProject) -> Any:
        """The project's graph; imports workflow code when it is given by reference."""
        with run_env.applied(run_env.variables(project.environment, self.workspace)):  # import-time settings
            if isinstance(project.graph, str):
                obj = loader.load_object(project.graph, self.workspace, project.environment.python_path)
                return loader.to_graph(obj, f"{project.graph!r} (workflow {project.name!r})")
            return loader.to_graph(project.graph, f"the graph of workflow {project.name!r}")

    def load_checked(
        self, project: WorkflowProject, pause: PauseStrategyConfig | None, initial_state: Any = None
    ) -> Any:
        """The project's graph, loaded and checked before a run is recorded: a workflow file
        that does not import, a pause point naming no node, or a plain value given to a
        ``StateGraph`` as its input, leaves nothing behind."""
        graph = self.load_graph(project)
        check_input(project, graph, initial_state)
        wanted = pause or project.pause
        asked = [*wanted.before, *wanted.after]
        if asked:
            nodes = graph_nodes(graph)
            unknown = [node for node in asked if node != "*" and node not in nodes]
            if unknown:
                raise InvalidArgumentError(
                    f"Workflow {project.name!r} has no node {', '.join(map(repr, unknown))} to pause at; "
                    f"its nodes: {', '.join(sorted(nodes)) or 'none'}."
                )
        return graph

    # -- snapshots of checkpoints --

    def snapshot_of(self, execution_id: str, checkpoint_id: str | None) -> str:
        """The file snapshot of a checkpoint (the head by default); an error when it has none."""
        snapshot = self.maybe_snapshot_of(execution_id, checkpoint_id)
        if snapshot is None:
            raise InvalidStateError(
                f"Checkpoint {checkpoint_id or 'head'} of execution {execution_id} has no file snapshot "
                "(file tracking was off when it was taken)."
            )
        return snapshot

    def maybe_snapshot_of(self, execution_id: str, checkpoint_id: str | None) -> str | None:
        execution = self.executions.get(execution_id)
        found = self.adapter.get_tuple(execution.thread_id, checkpoint_id or execution.head_checkpoint_id)
        return self.tracker.checkpoint_snapshot(str(found.checkpoint["id"])) if self.tracker else None


def is_state_graph(graph: Any) -> bool:
    """A ``StateGraph``, built or compiled (an ``@entrypoint`` is a plain ``Pregel``)."""
    return isinstance(graph, (StateGraph, CompiledStateGraph))


def graph_nodes(graph: Any) -> set[str]:
    """The node names of a ``StateGraph`` or a compiled graph (LangGraph's ``nodes``)."""
    return {str(name) for name in getattr(graph, "nodes", {}) if not str(name).startswith("__")}


def check_input(project: WorkflowProject, graph: Any, initial_state: Any) -> None:
    """Refuse a plain value (a string, a number, a list) as the input of a ``StateGraph``, whose
    input is its initial state; only an ``@entrypoint`` takes any value."""
    if isinstance(initial_state, (str, bytes, int, float, list, tuple)) and is_state_graph(graph):
        raise InvalidArgumentError(
            f"Workflow {project.name!r} is a StateGraph: its input is its initial state, an object of "
            f"state keys (a JSON object), not a {type(initial_state).__name__}. Only an @entrypoint "
            "(the Functional API) takes any value."
        )
