"""One variant, run in isolation: what a Ray actor does for each task it is given.

Everything happens in a fresh temporary directory: a data dir of its own (so its SQLite
connections, state adapter and file tracker are its own) and, by default, a workspace
materialised from the batch's starting snapshot (so variants writing the same path
never see each other's files). The result is a :class:`~wtb.batch.bundle.VariantBundle`
of bytes; the directory is removed afterwards.

This module has no Ray in it: the actor is a thin shell around :func:`run_variant`, and
tests can call it directly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from wtb.batch import files
from wtb.batch.bundle import VariantBundle
from wtb.batch.checkpoints import export_thread, import_checkpoints, task_paths
from wtb.batch.task import SourcePoint, VariantTask
from wtb.config import WorkflowProject
from wtb.engine import runs
from wtb.engine.services import Services
from wtb.models import ExecutionStatus
from wtb.store.views import to_plain


class NodeClock:
    """Per-node times from the run's events.

    A node's time runs from its start event to the checkpoint that closes its super-step
    (with ``durability="sync"`` every task of a step ends before that checkpoint), so it
    includes the step's file snapshot. Nodes of one step running in parallel each get
    the step's time. A node that runs several times (a loop) adds up.
    """

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.produced: dict[str, str | None] = {}
        self.checkpoints = 0
        self._started: dict[str, float] = {}

    def __call__(self, event: dict[str, Any]) -> None:
        now = time.perf_counter()
        if event.get("type") == "node":
            self._started.setdefault(str(event["node"]), now)
        elif event.get("type") == "checkpoint":
            self.checkpoints += 1
            for node, started in self._started.items():
                self.timings[node] = round(self.timings.get(node, 0.0) + now - started, 6)
            self._started.clear()
            self.produced.update(getattr(event["checkpoint"], "output_files", None) or {})


def scratch_root() -> Path:
    """Where workers make their temporary data dirs and workspaces.

    ``WTB_BATCH_SCRATCH`` if set; else ``/dev/shm`` where it exists (a variant's data dir is
    throw-away and small, and in memory its SQLite files and file snapshots cost a half
    of what they cost on a busy disk); else the system's temporary directory.
    """
    chosen = os.environ.get("WTB_BATCH_SCRATCH")
    if chosen:
        return Path(chosen)
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with contextlib.suppress(OSError):
            if shutil.disk_usage(shm).free > 1 << 30:
                return shm
    return Path(tempfile.gettempdir())


def run_variant(
    task: VariantTask,
    base_files: bytes | None,
    scratch: Path,
    prefix: str = "wtb-batch-",
    where: dict[str, Any] | None = None,
) -> bytes:
    """Run ``task`` in a fresh directory under ``scratch``; return its packed bundle.

    ``where`` describes the worker (Ray node id…) for the bundle's ``worker`` record.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"{prefix}{task.execution_id}-", dir=scratch))
    workspace = Path(task.shared_workspace) if task.shared_workspace else root / "ws"
    workspace.mkdir(exist_ok=True)
    try:
        services = Services(workspace, root / "data", task.file_tracking)
        try:
            bundle = _run(services, task, base_files)
            bundle.worker.update(where or {})
            return bundle.pack()
        finally:
            services.close()
    finally:
        if not task.shared_workspace:
            _forget_workspace(workspace)
        shutil.rmtree(root, ignore_errors=True)


def _run(services: Services, task: VariantTask, base_files: bytes | None) -> VariantBundle:
    from wtb.batch.code import attach

    tracker = services.tracker
    if tracker is not None and base_files:
        files.import_snapshots(tracker, base_files)
    if tracker is not None and task.base_snapshot and not task.shared_workspace:
        files.materialise(tracker, task.base_snapshot)
    task = attach(task, services.workspace)  # the workflow's objects import from the files just restored
    execution_id = _fork_from(services, task, task.source) if task.source is not None else _create(services, task)
    clock = NodeClock()
    started = time.perf_counter()
    graph = None
    try:
        project = _project(task, services.workspace)
        graph = project.graph
        services.register_project(project)
        if task.source is not None:
            runs.resume(services, execution_id, task.variant.state_updates or None, on_event=clock)
        else:
            runs.run_execution(services, execution_id, on_event=clock)
    except Exception as exc:  # a variant that cannot even start fails alone, with the reason
        from wtb.engine.controller import describe_failure

        runs.mark_finished(services, execution_id, ExecutionStatus.FAILED, describe_failure(exc, None))
    duration = time.perf_counter() - started
    return _bundle(services, execution_id, tracker, task, clock, duration, graph)


def _project(task: VariantTask, workspace: Path) -> WorkflowProject:
    from wtb.batch.overrides import apply_overrides, load_graph
    from wtb.engine import run_env

    with run_env.applied(run_env.variables(task.project.environment, workspace)):  # import-time settings
        graph = load_graph(task.project.graph, workspace, task.project.name, task.project.environment.python_path)
        graph = apply_overrides(graph, task.variant.node_overrides, workspace)
    return dataclasses.replace(task.project, graph=graph)


def _create(services: Services, task: VariantTask) -> str:
    state = services.adapter.check_serializable(dict(task.variant.initial_state), f"Variant {task.variant.name!r}")
    execution = services.executions.create(
        task.project.name,
        initial_state=state,
        config=task.config,
        name=task.variant.name,
        batch_id=task.batch_id,
        execution_id=task.execution_id,
    )
    return execution.id


def _fork_from(services: Services, task: VariantTask, source: SourcePoint) -> str:
    """The fork of :mod:`wtb.sdk.forking`, with the batch's pre-chosen id and batch id."""
    rows = source.execution
    parent_column = rows["columns"].index("parent_id")
    services.executions.import_rows({"columns": rows["columns"],
                                     "rows": [_without(row, parent_column) for row in rows["rows"]]})
    import_checkpoints(services.checkpoint_path, [source.checkpoint])
    tracker = services.tracker
    found = services.adapter.get_tuple(source.thread_id, source.checkpoint_id)
    store = services.executions
    child = store.create(
        task.project.name,
        initial_state=None,
        config=task.config,
        status=ExecutionStatus.PAUSED,
        name=task.variant.name,
        parent_id=source.execution_id,
        parent_checkpoint_id=source.checkpoint_id,
        batch_id=task.batch_id,
        execution_id=task.execution_id,
    )
    root = services.adapter.copy_to_thread(
        found, child.thread_id, {"source": "fork", "wtb_fork_of": source.checkpoint_id}
    )
    if tracker is not None and source.snapshot:
        tracker.link_checkpoint(root, child.id, source.snapshot, {})
    store.set_head(child.id, root)
    return child.id


def _without(row: list[Any], column: int) -> list[Any]:
    copy = list(row)
    copy[column] = None
    return copy


def _bundle(
    services: Services, execution_id: str, tracker: Any, task: VariantTask, clock: NodeClock, duration: float,
    graph: Any = None,
) -> VariantBundle:
    """The variant's records: read here, in the process that ran it, through public APIs.

    ``graph`` (the variant's workflow, ``None`` if it did not load) names the tasks behind
    the pending writes (:func:`~wtb.batch.checkpoints.task_paths`).
    """
    execution = services.executions.get(execution_id)
    row = services.executions.export_row(execution_id)
    saver = services.adapter.saver
    paths = task_paths(graph, saver, execution.thread_id) if graph is not None else {}
    checkpoints = export_thread(saver, execution.thread_id, paths)
    known = {task.base_snapshot} if task.base_snapshot else set()
    if task.source is not None and task.source.snapshot:
        known.add(task.source.snapshot)
    exported = None
    if tracker is not None and task.export_files:
        exported = files.export_execution(tracker, execution_id, known)
    return VariantBundle(
        execution_id=execution_id,
        execution=row,
        checkpoints=checkpoints,
        files=exported,
        duration_s=round(duration, 6),
        node_timings=clock.timings,
        produced=clock.produced,
        checkpoint_count=clock.checkpoints,
        worker={"pid": os.getpid(), "host": os.uname().nodename, "cwd": os.getcwd()},
        views=[to_plain(view) for view in services.views.of_execution(execution_id)],
    )


def _forget_workspace(workspace: Path) -> None:
    """Drop what importing this variant's workflow left in the process (sys.path, modules).

    An actor runs many variants; each imports the workflow from its own directory, which
    is deleted afterwards. Without this, ``sys.path`` and ``sys.modules`` would grow with
    every variant and a sibling module (``import helpers``) of one variant would be reused
    by the next.
    """
    from wtb.engine import loader

    prefix = str(workspace.resolve())
    with contextlib.suppress(ValueError):
        sys.path.remove(prefix)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and str(file).startswith(prefix + os.sep):
            sys.modules.pop(name, None)
    for key in [k for k in loader._cache if k[0].startswith(prefix + os.sep)]:
        loader._cache.pop(key, None)
