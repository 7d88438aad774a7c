"""``WTBTestBench``: the SDK's one entry point, a thin facade over the engine.

Opening a bench builds the engine's :class:`~wtb.engine.services.Services` for a data
directory (finishing any rollback a crash interrupted); every method is one call into an
engine or application module. The CLI and the daemon are thin faces of this class; see
``docs/sdk-contract.md`` and ``docs/architecture.md``.

Every id a method takes may be short, the way the editor shows it (a unique prefix; for a
checkpoint also a suffix, ``@N`` for its step, or ``head``): :mod:`wtb.engine.ids` turns it
into the full id here, once, before the engine sees it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from wtb.config import FileTrackingConfig, PauseStrategyConfig, WorkflowProject
from wtb.engine import fork, ids, inspection, liveness, retention, runs
from wtb.engine.graph_info import GraphInfo, describe_graph
from wtb.engine.recorder import EventSink
from wtb.engine.retention import PruneReport
from wtb.engine.runs import Prepare
from wtb.engine.services import Services
from wtb.engine.tree import ExecutionTreeNode
from wtb.errors import InvalidArgumentError, InvalidStateError, UnsafePathError
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
from wtb.store.goldens import Golden

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
        trusted: bool = True,
    ) -> None:
        self.workspace = workspace
        self.data_dir = data_dir
        self.mode = mode
        self.file_tracking = file_tracking or FileTrackingConfig()
        self._services = Services(workspace, data_dir, self.file_tracking, owns_data_dir, trusted)

    @property
    def services(self) -> Services:
        """The engine's parts for this data directory (for WTB's own application modules)."""
        return self._services

    @classmethod
    def create(
        cls,
        mode: str = "development",
        data_dir: str | Path | None = None,
        workspace: str | Path = ".",
        file_tracking: FileTrackingConfig | None = None,
        trusted: bool = True,
    ) -> WTBTestBench:
        """Open a bench on ``workspace``; ``"testing"`` uses a temporary data dir removed on close.

        ``trusted=False`` treats the data directory as possibly hostile (an untrusted
        workspace's daemon): a rollback a dead process left half-done is not finished (that
        would write the workspace; :meth:`pending_rollbacks` lists them), and checkpoints are
        read without importing the classes they name.
        """
        if mode not in MODES:
            raise InvalidArgumentError(f"Unknown mode {mode!r}; valid modes are {', '.join(MODES)}.")
        root = Path(workspace).resolve()
        if not root.is_dir():
            raise InvalidArgumentError(f"Workspace {root} is not a directory.")
        owns = mode == "testing" and data_dir is None
        if data_dir is None and (root / ".wtb").is_symlink():
            raise UnsafePathError(
                f"{root / '.wtb'} is a symlink; WTB keeps a workspace's data only in a real .wtb folder "
                "(remove the link, or pass a data directory explicitly)"
            )
        if owns:
            directory = Path(tempfile.mkdtemp(prefix="wtb-testing-"))
        else:
            directory = Path(data_dir).resolve() if data_dir else root / ".wtb"
        return cls(root, directory, mode, file_tracking, owns_data_dir=owns, trusted=trusted)

    # -- life cycle -------------------------------------------------------------------
    def close(self) -> None:
        self._services.close()

    def __enter__(self) -> WTBTestBench:
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | Any) -> None:
        self.close()

    # -- projects ---------------------------------------------------------------------
    def register_project(self, project: WorkflowProject) -> None:
        self._services.register_project(project)

    def list_projects(self) -> list[WorkflowProject]:
        return self._services.list_projects()

    def get_project(self, name: str) -> WorkflowProject:
        return self._services.get_project(name)

    def get_graph(self, name: str) -> GraphInfo:
        services = self._services
        return describe_graph(name, services.load_graph(services.get_project(name)))

    # -- run --------------------------------------------------------------------------
    def create_execution(
        self,
        project: str | WorkflowProject,
        initial_state: Any = None,
        config: Mapping[str, Any] | None = None,
        name: str | None = None,
        batch_id: str | None = None,
        pause: PauseStrategyConfig | None = None,
    ) -> Execution:
        """Record a pending execution (no workflow code is imported).

        A ``pause`` given here stays with the execution: its resumes pause at the same nodes.
        """
        return runs.create_execution(self._services, project, initial_state, config, name, batch_id, pause)

    def run(
        self,
        project: str | WorkflowProject,
        initial_state: Any = None,
        config: Mapping[str, Any] | None = None,
        on_event: EventSink | None = None,
        pause: PauseStrategyConfig | None = None,
        name: str | None = None,
    ) -> Execution:
        """Run a workflow to its end (or to a failure or pause) and return the execution.

        The workflow is loaded and the pause points checked first: a workflow file that does
        not import, a pause at no node, or a plain value (a string, a number, a list) as the
        input of a ``StateGraph`` is an error that records nothing.
        """
        chosen = self._services.project_of(project)
        self._services.load_checked(chosen, pause, initial_state)
        execution = self.create_execution(chosen, initial_state, config, name, pause=pause)
        return self.run_execution(execution.id, on_event=on_event)

    def run_execution(
        self,
        execution_id: str,
        on_event: EventSink | None = None,
        pause: PauseStrategyConfig | None = None,
        prepare: Prepare | None = None,
    ) -> Execution:
        """Run a pending execution (``prepare``: run it in an isolated, adjusted directory)."""
        execution_id = ids.execution_id(self._services, execution_id)
        return runs.run_execution(self._services, execution_id, on_event, pause, prepare)

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

        A completed execution with nothing left to run (no next node, no edit, no answer) is an
        :class:`InvalidStateError`: fork it or roll it back to run steps again.
        """
        execution_id = ids.execution_id(self._services, execution_id)
        if not state_updates and resume_value is None:
            current = inspection.get_execution(self._services, execution_id)
            if current.status is ExecutionStatus.COMPLETED and not current.next_nodes and not current.interrupts:
                raise InvalidStateError(
                    f"Execution {execution_id} is completed: its head has no next node, so there is nothing to "
                    "resume. Fork it (`wtb fork`) or roll it back (`wtb rollback`) to run steps again."
                )
        return runs.resume(self._services, execution_id, state_updates, on_event, as_node, resume_value, pause)

    def mark_finished(
        self, execution_id: str, status: ExecutionStatus | str, error: ExecutionError | None = None
    ) -> Execution:
        """Record how an execution ended when its worker could not (killed, cancelled, timed out)."""
        return runs.mark_finished(self._services, ids.execution_id(self._services, execution_id), status, error)

    def cancel(self, execution_id: str, timeout_s: float = 5.0) -> Execution:
        """End a running execution, whichever process runs it, and return it.

        Without a live process it is ``cancelled`` at once; a live run is asked to stop
        before its next step, waited for up to ``timeout_s``, and comes back ``cancelled``
        (still ``running`` if its current node outlasted the wait: it stops after it). A
        finished, paused or pending execution is an :class:`InvalidStateError`.
        """
        return liveness.cancel(self._services, ids.execution_id(self._services, execution_id), timeout_s)

    # -- inspect ----------------------------------------------------------------------
    def get_execution(self, execution_id: str) -> Execution:
        return inspection.get_execution(self._services, ids.execution_id(self._services, execution_id))

    def list_executions(
        self, project: str | None = None, limit: int = 100, offset: int = 0, batch_id: str | None = None
    ) -> list[Execution]:
        found = self._services.executions.list(project=project, limit=limit, offset=offset, batch_id=batch_id)
        return inspection.mark_undoable_rollbacks(self._services, found)

    def count_executions(self, project: str | None = None) -> int:
        """How many executions a project (or the data dir) has, without loading them."""
        return self._services.executions.count(project)

    def get_checkpoints(
        self, execution_id: str, limit: int | None = None, before: str | None = None, subgraphs: bool = False
    ) -> list[Checkpoint]:
        """Newest first; ``subgraphs``: with the steps inside subgraphs (``Checkpoint.namespace``)."""
        execution_id, before = ids.resolve(self._services, execution_id, before)
        return inspection.get_checkpoints(self._services, execution_id, limit, before, subgraphs)

    def get_state(self, execution_id: str, checkpoint_id: str | None = None) -> Any:
        """LangGraph's values at a checkpoint (the head by default), plus ``_output_files`` when
        they are a dict; a Functional API entrypoint's value as it is."""
        return inspection.get_state(self._services, *ids.resolve(self._services, execution_id, checkpoint_id))

    def get_files(self, execution_id: str, checkpoint_id: str | None = None) -> dict[str, FileEntry]:
        return inspection.get_files(self._services, *ids.resolve(self._services, execution_id, checkpoint_id))

    def read_file(self, execution_id: str, checkpoint_id: str | None, path: str) -> bytes:
        execution_id, checkpoint_id = ids.resolve(self._services, execution_id, checkpoint_id)
        return inspection.read_file(self._services, execution_id, checkpoint_id, path)

    def diff(self, exec_a: str, cp_a: str | None, exec_b: str, cp_b: str | None) -> DiffResult:
        exec_a, cp_a = ids.resolve(self._services, exec_a, cp_a)
        exec_b, cp_b = ids.resolve(self._services, exec_b, cp_b)
        return inspection.diff(self._services, exec_a, cp_a, exec_b, cp_b)

    def get_execution_tree(self, project: str | None = None) -> list[ExecutionTreeNode]:
        return inspection.execution_tree(self._services, project)

    # -- rollback and fork --------------------------------------------------------------
    def plan_rollback(self, execution_id: str, checkpoint_id: str) -> Any:
        return inspection.plan_rollback(self._services, *ids.resolve_at(self._services, execution_id, checkpoint_id))

    def rollback(self, execution_id: str, checkpoint_id: str) -> RollbackResult:
        """Move the head to ``checkpoint_id`` and make the workspace files exactly its snapshot."""
        return self._services.rollbacks.rollback(*ids.resolve_at(self._services, execution_id, checkpoint_id))

    def pending_rollbacks(self) -> list[str]:
        """Executions whose rollback was left half-done by a process that died (see ``create``)."""
        return self._services.pending_rollbacks()

    def undo_rollback(self, execution_id: str) -> RollbackResult:
        """Bring back the state and files from just before the last rollback."""
        return self._services.rollbacks.undo(ids.execution_id(self._services, execution_id))

    def fork(
        self,
        execution_id: str,
        checkpoint_id: str,
        state_updates: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        name: str | None = None,
        as_node: str | None = None,
    ) -> Execution:
        """A new execution starting at ``checkpoint_id`` of another (same files, own thread).

        ``state_updates`` go through LangGraph's ``update_state``, as ``as_node`` when given;
        after a step that ran several nodes LangGraph needs it (an ``AsNodeRequiredError``
        names the candidates, and no fork is made).
        """
        execution_id, target = ids.resolve_at(self._services, execution_id, checkpoint_id)
        return fork.fork_execution(self._services, execution_id, target, state_updates, config, name, as_node)

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
        execution_id = ids.execution_id(self._services, execution_id)
        execution = self._services.executions.get(execution_id)
        if execution.status is not ExecutionStatus.COMPLETED:
            raise InvalidStateError(
                f"Execution {execution_id} is {execution.status.value}; only a completed run can be golden."
            )
        return self._services.goldens.mark(name or execution.project, execution_id, execution.project)

    def list_goldens(self, project: str | None = None) -> list[Golden]:
        return self._services.goldens.list(project)

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
        return run_check(self._services, self._services.goldens.get(golden), initial_state, rules or CheckRules())

    def prune(
        self,
        keep_last: int | None = None,
        older_than: float | timedelta | None = None,
        keep_golden: bool = True,
        keep_forks_of_kept: bool = True,
        max_storage: int | str | None = None,
    ) -> PruneReport:
        """Delete old executions (threads, snapshots links) and the blobs only they used."""
        from wtb.sizes import parse_size

        limit = parse_size(max_storage, "max_storage") if max_storage is not None else None
        return retention.prune(self._services, keep_last, older_than, keep_golden, keep_forks_of_kept, limit)

    # -- storage ----------------------------------------------------------------------
    def storage_stats(self) -> StorageStats:
        """What the blob store holds, plus executions and checkpoint bytes per project."""
        return inspection.storage_stats(self._services)

    def gc(self) -> Any:
        return self._services.tracker_or_fail().gc()

    def doctor(self, measure_data_dir: bool = True) -> DoctorReport:
        """Versions, the file watcher (with a live barrier round trip), the data dir, Ray."""
        from wtb.engine.doctor import diagnose

        return diagnose(self.workspace, self.data_dir, self._services.tracker, measure_data_dir)
