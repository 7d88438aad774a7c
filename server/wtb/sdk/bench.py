"""``WTBTestBench``: the SDK's one entry point, and the composition root of WTB.

It opens the data directory (``wtb.db``, LangGraph's ``wtb_checkpoints.db``, the file
store), finishes any rollback a crash interrupted, and offers the five actions. The CLI
and the daemon are thin faces of this class; see ``docs/sdk-contract.md``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from wtb.config import FileTrackingConfig, PauseStrategyConfig, WorkflowProject
from wtb.engine import discovery, loader
from wtb.engine.checkpointer import TrackingSaver, open_checkpoint_db
from wtb.engine.controller import ExecutionController
from wtb.engine.graph_info import GraphInfo, describe_graph
from wtb.engine.locks import Locks
from wtb.engine.recorder import EventSink
from wtb.engine.rollback import RollbackService
from wtb.engine.state_adapter import StateAdapter, next_nodes
from wtb.errors import InvalidArgumentError, InvalidStateError, UnknownProjectError
from wtb.models import (
    Checkpoint,
    DiffResult,
    DoctorReport,
    Execution,
    ExecutionError,
    ExecutionStatus,
    FileEntry,
    RollbackResult,
    StorageStats,
)
from wtb.regression.compare import CheckResult, CheckRules
from wtb.regression.goldens import Golden, GoldenStore
from wtb.sdk import inspection
from wtb.sdk.retention import PruneReport
from wtb.sdk.runner import Prepare, start_run
from wtb.sdk.tree import ExecutionTreeNode, build_tree
from wtb.store.db import Database
from wtb.store.executions import ExecutionStore
from wtb.store.outbox import Outbox

if TYPE_CHECKING:
    from wtb.engine.node_proxy import NodeProcess
    from wtb.filetrack import SqliteFileTrackingService

MODES = ("development", "testing")


class WTBTestBench:
    """Run, inspect, roll back and fork LangGraph workflows of one workspace."""

    def __init__(
        self,
        workspace: Path,
        data_dir: Path,
        mode: str = "development",
        file_tracking: FileTrackingConfig | None = None,
        owns_data_dir: bool = False,
    ) -> None:
        self.workspace = workspace
        self.data_dir = data_dir
        self.mode = mode
        self.file_tracking = file_tracking or FileTrackingConfig()
        self._owns_data_dir = owns_data_dir
        self._projects: dict[str, WorkflowProject] = {}
        self._isolated_trackers: list[SqliteFileTrackingService] = []
        self._node_processes: dict[str, NodeProcess] = {}
        self._closed = False
        data_dir.mkdir(parents=True, exist_ok=True)
        self._db = Database(data_dir / "wtb.db")
        self._executions = ExecutionStore(self._db)
        self._outbox = Outbox(self._db)
        self._goldens = GoldenStore(self._db)
        self._locks = Locks(data_dir)
        self._checkpoint_path = data_dir / "wtb_checkpoints.db"
        self._saver = TrackingSaver(open_checkpoint_db(self._checkpoint_path))
        self._saver.setup()
        self._adapter = StateAdapter(self._saver)
        self._tracker = self._open_tracker()
        self._controller = ExecutionController(self._checkpoint_path, self._executions)
        self._rollbacks = RollbackService(
            self._db, self._executions, self._outbox, self._adapter, self._tracker, self._locks
        )
        self._rollbacks.recover()

    @classmethod
    def create(
        cls,
        mode: str = "development",
        data_dir: str | Path | None = None,
        workspace: str | Path = ".",
        file_tracking: FileTrackingConfig | None = None,
    ) -> WTBTestBench:
        """Open a bench on ``workspace``; ``"testing"`` uses a temporary data dir removed on close."""
        if mode not in MODES:
            raise InvalidArgumentError(f"Unknown mode {mode!r}; valid modes are {', '.join(MODES)}.")
        root = Path(workspace).resolve()
        if not root.is_dir():
            raise InvalidArgumentError(f"Workspace {root} is not a directory.")
        owns = mode == "testing" and data_dir is None
        if owns:
            directory = Path(tempfile.mkdtemp(prefix="wtb-testing-"))
        else:
            directory = Path(data_dir).resolve() if data_dir else root / ".wtb"
        return cls(root, directory, mode, file_tracking, owns_data_dir=owns)

    # -- life cycle -------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for process in self._node_processes.values():
            process.close()
        for tracker in [self._tracker, *self._isolated_trackers]:
            if tracker is not None:
                tracker.close()
        self._saver.conn.close()
        self._db.close()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> WTBTestBench:
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self.close()

    # -- projects ---------------------------------------------------------------------
    def register_project(self, project: WorkflowProject) -> None:
        self._projects[project.name] = project

    def list_projects(self) -> list[WorkflowProject]:
        found = discovery.discover(self.workspace)
        found.update(self._projects)
        return [found[name] for name in sorted(found)]

    def get_project(self, name: str) -> WorkflowProject:
        if name in self._projects:
            return self._projects[name]
        found = discovery.discover(self.workspace)
        if name not in found:
            known = ", ".join(sorted({*found, *self._projects})) or "none"
            raise UnknownProjectError(
                f"No workflow named {name!r}. Known workflows: {known}. Declare it in langgraph.json "
                "or [tool.wtb.workflows], or call bench.register_project()."
            )
        return found[name]

    def get_graph(self, name: str) -> GraphInfo:
        return describe_graph(name, self._load_graph(self.get_project(name)))

    def _load_graph(self, project: WorkflowProject) -> Any:
        if isinstance(project.graph, str):
            obj = loader.load_object(project.graph, self.workspace)
            return loader.to_graph(obj, f"{project.graph!r} (workflow {project.name!r})")
        return loader.to_graph(project.graph, f"the graph of workflow {project.name!r}")

    def _project_of(self, project: str | WorkflowProject) -> WorkflowProject:
        if isinstance(project, WorkflowProject):
            self.register_project(project)
            return project
        return self.get_project(project)

    # -- run --------------------------------------------------------------------------
    def create_execution(
        self,
        project: str | WorkflowProject,
        initial_state: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        name: str | None = None,
        batch_id: str | None = None,
        pause: PauseStrategyConfig | None = None,
    ) -> Execution:
        """Record a pending execution (no workflow code is imported).

        A ``pause`` given here stays with the execution: its resumes pause at the same nodes.
        """
        chosen = self._project_of(project)
        state = dict(initial_state or {})
        if not isinstance(initial_state, (Mapping, type(None))):
            raise InvalidArgumentError("initial_state must be a mapping of state keys to values.")
        blob = self._adapter.check_serializable(state, f"Initial state of {chosen.name!r}")
        stored = _run_config(config)
        if pause is not None:
            stored["pause"] = asdict(pause)
        return self._executions.create(chosen.name, initial_state=blob, config=stored, name=name, batch_id=batch_id)

    def run(
        self,
        project: str | WorkflowProject,
        initial_state: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        on_event: EventSink | None = None,
        pause: PauseStrategyConfig | None = None,
        name: str | None = None,
    ) -> Execution:
        """Run a workflow to its end (or to a failure or pause) and return the execution."""
        execution = self.create_execution(project, initial_state, config, name, pause=pause)
        return self.run_execution(execution.id, on_event=on_event)

    def run_execution(
        self,
        execution_id: str,
        on_event: EventSink | None = None,
        pause: PauseStrategyConfig | None = None,
        prepare: Prepare | None = None,
    ) -> Execution:
        """Run a pending execution (``prepare``: run it in an isolated, adjusted directory)."""
        execution = self._executions.get(execution_id)
        if execution.status is not ExecutionStatus.PENDING:
            raise InvalidStateError(f"Execution {execution_id} is {execution.status.value}, not pending.")
        stored = self._executions.initial_state(execution_id)
        initial = self._saver.serde.loads_typed(stored) if stored else {}
        return start_run(self, execution, initial, None, on_event, pause, prepare=prepare)

    def resume(
        self,
        execution_id: str,
        state_updates: Mapping[str, Any] | None = None,
        on_event: EventSink | None = None,
        as_node: str | None = None,
        resume_value: Any = None,
        pause: PauseStrategyConfig | None = None,
    ) -> Execution:
        """Run a paused, forked or rolled-back execution on from its head.

        ``state_updates`` are applied first through LangGraph's ``update_state`` (as
        ``as_node`` when given); ``resume_value`` answers a node's ``interrupt()`` (LangGraph's
        ``Command(resume=...)``). Unless the execution runs isolated, the workspace is first
        brought to the head's snapshot, so forks resumed one after another never see each
        other's files.
        """
        execution = self._executions.get(execution_id)
        if execution.status in (ExecutionStatus.RUNNING, ExecutionStatus.PENDING):
            raise InvalidStateError(f"Execution {execution_id} is {execution.status.value}; it cannot resume.")
        execution.head_checkpoint_id = self._adapter.head_of(execution)
        if execution.head_checkpoint_id is None:
            raise InvalidStateError(f"Execution {execution_id} has no checkpoint to resume from.")
        isolated = self.get_project(execution.project).execution.workspace == "isolated"
        if self._tracker is not None and not isolated:
            snapshot = self._tracker.checkpoint_snapshot(execution.head_checkpoint_id)
            if snapshot:
                with self._locks.workspace():
                    self._tracker.restore(snapshot)
        updates = dict(state_updates) if state_updates else None
        command: Any = None
        if resume_value is not None:
            from langgraph.types import Command

            command = Command(resume=resume_value)
        return start_run(self, execution, command, execution.head_checkpoint_id, on_event, pause, updates, as_node)

    def mark_finished(
        self, execution_id: str, status: ExecutionStatus | str, error: ExecutionError | None = None
    ) -> Execution:
        """Record how an execution ended when its worker could not (killed, cancelled, timed out)."""
        return self._executions.set_status(execution_id, ExecutionStatus(status), error)

    # -- inspect ----------------------------------------------------------------------
    def get_execution(self, execution_id: str) -> Execution:
        execution = self._executions.get(execution_id)
        execution.head_checkpoint_id = self._adapter.head_of(execution)
        if execution.head_checkpoint_id:
            found = self._adapter.get_tuple(execution.thread_id, execution.head_checkpoint_id)
            execution.state = self._adapter.values(found)
            execution.next_nodes = next_nodes(found)
        return execution

    def list_executions(
        self, project: str | None = None, limit: int = 100, offset: int = 0, batch_id: str | None = None
    ) -> list[Execution]:
        return self._executions.list(project=project, limit=limit, offset=offset, batch_id=batch_id)

    def count_executions(self, project: str | None = None) -> int:
        """How many executions a project (or the data dir) has, without loading them."""
        return self._executions.count(project)

    def get_checkpoints(
        self, execution_id: str, limit: int | None = None, before: str | None = None
    ) -> list[Checkpoint]:
        execution = self._executions.get(execution_id)
        checkpoints = self._adapter.list(execution.id, execution.thread_id, limit=limit, before=before)
        if self._tracker is not None:
            for checkpoint in checkpoints:
                checkpoint.snapshot_id = self._tracker.checkpoint_snapshot(checkpoint.id)
                checkpoint.output_files = self._tracker.checkpoint_output_files(checkpoint.id)
        return checkpoints

    def get_state(self, execution_id: str, checkpoint_id: str | None = None) -> dict[str, Any]:
        execution = self._executions.get(execution_id)
        found = self._adapter.get_tuple(execution.thread_id, checkpoint_id or execution.head_checkpoint_id)
        state = self._adapter.values(found)
        state["_output_files"] = (
            self._tracker.checkpoint_output_files(str(found.checkpoint["id"])) if self._tracker else {}
        )
        return state

    def get_files(self, execution_id: str, checkpoint_id: str | None = None) -> dict[str, FileEntry]:
        return self._tracker_or_fail().files(self._snapshot_of(execution_id, checkpoint_id))

    def read_file(self, execution_id: str, checkpoint_id: str | None, path: str) -> bytes:
        return self._tracker_or_fail().read_file(self._snapshot_of(execution_id, checkpoint_id), path)

    def diff(
        self, exec_a: str, cp_a: str | None, exec_b: str, cp_b: str | None
    ) -> DiffResult:
        state = inspection.diff_states(self.get_state(exec_a, cp_a), self.get_state(exec_b, cp_b))
        files = inspection.diff_files(
            self._tracker, self._maybe_snapshot_of(exec_a, cp_a), self._maybe_snapshot_of(exec_b, cp_b)
        )
        return DiffResult(state=state, files=files)

    def get_execution_tree(self, project: str | None = None) -> list[ExecutionTreeNode]:
        return build_tree(self._executions.list(project=project, limit=1_000_000))

    def _snapshot_of(self, execution_id: str, checkpoint_id: str | None) -> str:
        """The file snapshot of a checkpoint (the head by default); an error when it has none."""
        snapshot = self._maybe_snapshot_of(execution_id, checkpoint_id)
        if snapshot is None:
            raise InvalidStateError(
                f"Checkpoint {checkpoint_id or 'head'} of execution {execution_id} has no file snapshot "
                "(file tracking was off when it was taken)."
            )
        return snapshot

    def _maybe_snapshot_of(self, execution_id: str, checkpoint_id: str | None) -> str | None:
        execution = self._executions.get(execution_id)
        found = self._adapter.get_tuple(execution.thread_id, checkpoint_id or execution.head_checkpoint_id)
        return self._tracker.checkpoint_snapshot(str(found.checkpoint["id"])) if self._tracker else None

    def _tracker_or_fail(self) -> SqliteFileTrackingService:
        if self._tracker is None:
            raise InvalidStateError("File tracking is off for this bench (FileTrackingConfig(enabled=False)).")
        return self._tracker

    def _open_tracker(self) -> SqliteFileTrackingService | None:
        if not self.file_tracking.enabled:
            return None
        from wtb.filetrack import SqliteFileTrackingService

        tracker = SqliteFileTrackingService(self.workspace, self.data_dir, self.file_tracking)
        tracker.start()
        return tracker

    # -- rollback and fork --------------------------------------------------------------
    def plan_rollback(self, execution_id: str, checkpoint_id: str) -> Any:
        execution = self._executions.get(execution_id)
        self._adapter.get_tuple(execution.thread_id, checkpoint_id)
        return self._tracker_or_fail().plan_restore(self._snapshot_of(execution_id, checkpoint_id))

    def rollback(self, execution_id: str, checkpoint_id: str) -> RollbackResult:
        """Move the head to ``checkpoint_id`` and make the workspace files exactly its snapshot."""
        return self._rollbacks.rollback(execution_id, checkpoint_id)

    def undo_rollback(self, execution_id: str) -> RollbackResult:
        """Bring back the state and files from just before the last rollback."""
        return self._rollbacks.undo(execution_id)

    def fork(
        self,
        execution_id: str,
        checkpoint_id: str,
        state_updates: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> Execution:
        """A new execution starting at ``checkpoint_id`` of another (same files, own thread)."""
        from wtb.sdk.forking import fork_execution

        return fork_execution(self, execution_id, checkpoint_id, state_updates, config, name)

    # -- batches ----------------------------------------------------------------------
    def run_batch(
        self,
        project: str | WorkflowProject,
        variants: Any,
        from_checkpoint: Any = None,
        max_parallel: int | None = None,
        on_progress: Any = None,
        **options: Any,
    ) -> Any:
        """Run variants of a workflow in parallel on Ray and compare them (see ``docs/batch.md``)."""
        from wtb.batch import run_batch

        return run_batch(self, project, variants, from_checkpoint, max_parallel, on_progress, **options)

    # -- regression and retention ------------------------------------------------------
    def mark_golden(self, execution_id: str, name: str | None = None) -> Golden:
        """Remember a known-good execution (by default under its project's name)."""
        execution = self._executions.get(execution_id)
        if execution.status is not ExecutionStatus.COMPLETED:
            raise InvalidStateError(
                f"Execution {execution_id} is {execution.status.value}; only a completed run can be golden."
            )
        return self._goldens.mark(name or execution.project, execution_id, execution.project)

    def list_goldens(self, project: str | None = None) -> list[Golden]:
        return self._goldens.list(project)

    def check(
        self,
        project: str | None = None,
        golden: str | None = None,
        initial_state: Mapping[str, Any] | None = None,
        rules: CheckRules | None = None,
    ) -> CheckResult:
        """Re-run against a golden run and compare state and files checkpoint by checkpoint."""
        from wtb.regression.check import run_check

        if golden is None:
            if project is None:
                raise InvalidArgumentError("check() needs a project or a golden name.")
            golden = project
        return run_check(self, self._goldens.get(golden), initial_state, rules or CheckRules())

    def prune(
        self,
        keep_last: int | None = None,
        older_than: float | timedelta | None = None,
        keep_golden: bool = True,
        keep_forks_of_kept: bool = True,
        max_storage: int | str | None = None,
    ) -> PruneReport:
        """Delete old executions (threads, snapshots links) and the blobs only they used."""
        from wtb.sdk.retention import prune
        from wtb.sizes import parse_size

        limit = parse_size(max_storage, "max_storage") if max_storage is not None else None
        return prune(self, keep_last, older_than, keep_golden, keep_forks_of_kept, limit)

    # -- storage ----------------------------------------------------------------------
    def storage_stats(self) -> StorageStats:
        """What the blob store holds, plus executions and checkpoint bytes per project."""
        stats: StorageStats = self._tracker_or_fail().stats()
        stats.per_project = inspection.per_project_storage(self._executions, self._saver)
        return stats

    def gc(self) -> Any:
        return self._tracker_or_fail().gc()

    def doctor(self) -> DoctorReport:
        """Versions, the file watcher (with a live barrier round trip), the data dir, Ray."""
        from wtb.engine.doctor import diagnose

        return diagnose(self.workspace, self.data_dir, self._tracker)


def _run_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Accept LangGraph's ``RunnableConfig`` (``configurable``, ``recursion_limit``) or a bare configurable."""
    if not config:
        return {}
    if not isinstance(config, Mapping):
        raise InvalidArgumentError("config must be a mapping (LangGraph's RunnableConfig or its 'configurable').")
    if not {"configurable", "recursion_limit"} & set(config):
        return {"configurable": dict(config)}
    result: dict[str, Any] = {"configurable": dict(config.get("configurable") or {})}
    if "recursion_limit" in config:
        result["recursion_limit"] = int(config["recursion_limit"])
    return result
