"""``RayBatchTestRunner`` and ``run_batch``: plan a batch, then hand it to its driver.

Planning is everything that can fail before anything is recorded, so a bad batch leaves
no trace:

1. resolve the project and the variants, check that their states serialise, and refuse
   a resource request that no Ray node can satisfy;
2. snapshot the starting files (the workspace now, or the checkpoint's snapshot) into a
   bundle the workers materialise, so a cluster needs no shared file system;
3. give every variant its execution id and its run configuration.

:class:`~wtb.batch.driver.BatchDriver` then records the batch and runs it on the pool.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from wtb.batch import files, warm
from wtb.batch.driver import BatchDriver, BatchPlan, ProgressSink, cancel_in_process, register, unregister
from wtb.batch.errors import InvalidVariantError
from wtb.batch.owner import HasServices, services_of
from wtb.batch.pool import LocalPool, Pool
from wtb.batch.raypool import RayActorPool
from wtb.batch.result import BatchResult
from wtb.batch.settings import BatchSettings, merge_runtime_env, workspace_settings
from wtb.batch.task import SourcePoint, VariantTask
from wtb.batch.variants import Variant, coerce_variants, configurable
from wtb.config import WorkflowProject
from wtb.engine.services import Services
from wtb.store.batches import BatchStore
from wtb.store.executions import new_execution_id

__all__ = ["BatchResult", "CheckpointRef", "RayBatchTestRunner", "cancel_in_process", "run_batch"]

CheckpointRef = tuple[str, str | None] | Mapping[str, Any] | str

BACKENDS = ("ray", "local")
MAX_RETRIES = 2


class RayBatchTestRunner:
    """Runs batches of variants of a bench's workflows on Ray (or, ``backend="local"``, in process).

    ``RayBatchTestRunner(bench)``: a ``WTBTestBench`` (or the engine's ``Services``).
    """

    def __init__(
        self,
        bench: Services | HasServices,
        *,
        ray_address: str | None = None,
        workspace: str = "isolated",
        backend: str = "ray",
        keep_warm_s: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        if workspace not in ("isolated", "shared"):
            raise InvalidVariantError(f"workspace must be 'isolated' or 'shared', not {workspace!r}.")
        if backend not in BACKENDS:
            raise InvalidVariantError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}.")
        if max_retries is not None and max_retries < 0:
            raise InvalidVariantError("max_retries must be at least 0.")
        services = self.services = services_of(bench)
        self.ray_address = ray_address
        self.workspace = workspace
        self.backend = backend
        self.keep_warm_s = warm.WARM_S if keep_warm_s is None else keep_warm_s
        self.max_retries = max_retries
        self.ray_startup_s: float | None = None
        self._store = BatchStore(services.db)

    # -- public ---------------------------------------------------------------------------
    def run(
        self,
        project: str | WorkflowProject,
        variants: Iterable[Variant | Mapping[str, Any]],
        from_checkpoint: CheckpointRef | None = None,
        max_parallel: int | None = None,
        on_progress: ProgressSink | None = None,
        *,
        batch_id: str | None = None,
    ) -> BatchResult:
        """Run every variant; returns when all have completed, failed or been cancelled."""
        chosen = self._project(project)
        plan_variants = coerce_variants(variants)
        source = self._source(from_checkpoint) if from_checkpoint is not None else None
        self._check_variants(chosen, plan_variants, source)
        if max_parallel is not None and max_parallel < 1:
            raise InvalidVariantError("max_parallel must be at least 1.")
        batch_id = batch_id or uuid.uuid4().hex[:12]
        settings = workspace_settings(self.services.workspace, chosen.name)
        pool_factory, pool_size = self._pool_factory(chosen, len(plan_variants), max_parallel, batch_id, settings)
        plan = self._plan(batch_id, chosen, plan_variants, source)
        plan.max_retries = next(n for n in (self.max_retries, settings.max_retries, MAX_RETRIES) if n is not None)
        cancel = register(batch_id)
        try:
            return BatchDriver(self.services, plan, pool_factory(plan.base_files), pool_size, cancel, on_progress).run()
        finally:
            unregister(batch_id)

    def warm_up(self, project: str | WorkflowProject, max_parallel: int | None = None) -> float:
        """Start the actors a batch of ``project`` would use and keep them warm; returns the seconds it took.

        For a daemon or a notebook that knows a batch is coming (the user opened the batch
        dialog): the batch then starts at once instead of paying for starting its actors.
        """
        chosen = self._project(project)
        started = time.perf_counter()
        settings = workspace_settings(self.services.workspace, chosen.name)
        factory, _ = self._pool_factory(chosen, max_parallel or 1_000_000, max_parallel, "warmup", settings)
        pool = factory(None)
        try:
            if isinstance(pool, RayActorPool):
                pool.ready()
        finally:
            pool.close()
        return time.perf_counter() - started

    @staticmethod
    def shutdown() -> int:
        """Stop the actors kept warm for later batches (they also stop by themselves when idle)."""
        return warm.clear()

    def cancel(self, batch_id: str) -> None:
        """Stop a batch: running variants are stopped, finished ones kept (works across processes)."""
        self._store.request_cancel(batch_id)
        cancel_in_process(batch_id)

    # -- preparation -------------------------------------------------------------------------
    def _project(self, project: str | WorkflowProject) -> WorkflowProject:
        if isinstance(project, WorkflowProject):
            self.services.register_project(project)
            return project
        found: WorkflowProject = self.services.get_project(project)
        return found

    def _source(self, ref: CheckpointRef) -> SourcePoint:
        """The checkpoint to start from, read as stored (the workers decode it, not the driver)."""
        from wtb.batch.checkpoints import read_checkpoint
        from wtb.engine.checkpointer import open_checkpoint_db

        execution_id, checkpoint_id = _checkpoint_ref(ref)
        execution = self.services.executions.get(execution_id)
        found = self.services.adapter.get_tuple(execution.thread_id, checkpoint_id or execution.head_checkpoint_id)
        checkpoint_id = str(found.checkpoint["id"])
        tracker = self.services.tracker
        snapshot = tracker.checkpoint_snapshot(checkpoint_id) if tracker is not None else None
        row = self.services.executions.export_row(execution_id)
        conn = open_checkpoint_db(self.services.checkpoint_path)
        try:
            # The first checkpoint of the worker's copy of this thread: every channel is new there.
            versions = found.checkpoint.get("channel_versions", {})
            checkpoint = read_checkpoint(conn, execution.thread_id, checkpoint_id, versions)
        finally:
            conn.close()
        return SourcePoint(execution_id, execution.thread_id, checkpoint_id, snapshot, row, checkpoint)

    def _check_variants(self, project: WorkflowProject, variants: list[Variant], source: SourcePoint | None) -> None:
        for variant in variants:
            if source is not None and variant.initial_state:
                raise InvalidVariantError(
                    f"Variant {variant.name!r} sets initial_state, but the batch starts from a checkpoint: "
                    "use state_updates to change the state there."
                )
            if source is None and variant.state_updates:
                raise InvalidVariantError(
                    f"Variant {variant.name!r} sets state_updates, which apply only to a batch started "
                    "from a checkpoint (from_checkpoint); use initial_state."
                )
            what = f"Variant {variant.name!r} of {project.name!r}"
            self.services.adapter.check_serializable(dict(variant.initial_state), what)
            self.services.adapter.check_serializable(dict(variant.state_updates), what)

    def _pool_factory(
        self, project: WorkflowProject, count: int, max_parallel: int | None, batch_id: str, settings: BatchSettings
    ) -> tuple[Callable[[bytes | None], Pool], int]:
        """Connect to Ray, size the pool and check resources, before anything is recorded.

        The cluster: the runner's ``ray_address`` (``wtb batch --address``), else the
        project's ``ExecutionConfig.ray_address``, else ``[tool.wtb.batch] address``, else
        ``RAY_ADDRESS``, else a local Ray. The runtime_env goes to the actors only.
        """
        if self.backend == "local":
            return (lambda base: LocalPool(base)), 1
        from wtb.batch.cluster import connected_here, disconnect, ensure_ray, fitting_actors
        from wtb.batch.resources import actor_request, check_feasible

        info = ensure_ray(self.ray_address or project.execution.ray_address or settings.address)
        if info.started_here:
            self.ray_startup_s = info.startup_s
        if connected_here(info.address) and disconnect not in self.services.on_close:
            self.services.on_close.append(disconnect)  # bench.close() leaves the cluster
        wanted = max_parallel or project.execution.max_parallel
        request = actor_request(project.execution.node_resources, info.cpus, wanted)
        check_feasible(request, info.nodes)
        options = request.ray_options()
        runtime_env = merge_runtime_env(settings.runtime_env, project.execution.runtime_env)
        if runtime_env:
            options["runtime_env"] = runtime_env
        fit = max(1, fitting_actors(options, info.nodes))
        size = max(1, min(count, wanted or fit, fit))
        label = batch_id[:8]
        return (lambda base: RayActorPool(size, options, label, base, self.keep_warm_s)), size

    def _plan(
        self, batch_id: str, project: WorkflowProject, variants: list[Variant], source: SourcePoint | None
    ) -> BatchPlan:
        tracked = self.services.tracker is not None
        # Workers track files as the services does (its ignore rules and size limit), without a
        # watcher; with tracking off here they still need a tracker to materialise the files.
        tracking = replace(self.services.file_tracking, enabled=True, watch=False)
        shared = str(self.services.workspace) if self.workspace == "shared" else None
        if shared and source is not None:
            raise InvalidVariantError(
                "A batch from a checkpoint restores that checkpoint's files for every variant; "
                "it needs isolated workspaces (workspace='isolated')."
            )
        if source is not None:
            base_snapshot = source.snapshot
            base_files = files.export_snapshot(self.services, source.snapshot) if source.snapshot else None
        elif shared:
            base_snapshot, base_files = None, None
        else:
            base_snapshot, base_files = files.workspace_bundle(self.services, project)
        if not tracked:  # the services records no files, so its variants record none either
            project = replace(project, file_tracking=replace(project.file_tracking, enabled=False))
        parent_config = _parent_config(self.services, source)
        tasks = []
        for variant in variants:
            config = {**parent_config, **configurable(variant.config)}
            tasks.append(
                VariantTask(
                    batch_id=batch_id,
                    execution_id=new_execution_id(),
                    variant=variant,
                    project=project,
                    base_snapshot=base_snapshot,
                    source=source,
                    shared_workspace=shared,
                    file_tracking=tracking,
                    export_files=tracked,
                    config={"configurable": config} if config else {},
                )
            )
        from_checkpoint = (
            {"execution_id": source.execution_id, "checkpoint_id": source.checkpoint_id} if source else None
        )
        return BatchPlan(batch_id, project, tasks, base_files, base_snapshot, from_checkpoint)


def _checkpoint_ref(ref: CheckpointRef) -> tuple[str, str | None]:
    """``(execution, checkpoint)``, ``{"execution_id", "checkpoint_id"}`` or ``"execution[:checkpoint]"``."""
    if isinstance(ref, str):
        execution, _, checkpoint = ref.partition(":")
        return execution, checkpoint or None
    if isinstance(ref, Mapping):
        execution = ref.get("execution_id", ref.get("executionId"))
        checkpoint = ref.get("checkpoint_id", ref.get("checkpointId"))
        if not execution:
            raise InvalidVariantError("from_checkpoint needs an execution_id.")
        return str(execution), str(checkpoint) if checkpoint else None
    if isinstance(ref, tuple) and len(ref) == 2:
        return str(ref[0]), str(ref[1]) if ref[1] else None
    raise InvalidVariantError(
        "from_checkpoint must be (execution_id, checkpoint_id), {'execution_id': ..., 'checkpoint_id': ...} "
        "or 'execution_id:checkpoint_id'."
    )


def _parent_config(services: Services, source: SourcePoint | None) -> dict[str, Any]:
    if source is None:
        return {}
    parent = services.executions.get(source.execution_id)
    return dict(parent.config.get("configurable", {}))


def run_batch(
    bench: Services | HasServices,
    project: str | WorkflowProject,
    variants: Iterable[Variant | Mapping[str, Any]],
    from_checkpoint: CheckpointRef | None = None,
    max_parallel: int | None = None,
    on_progress: ProgressSink | None = None,
    **options: Any,
) -> BatchResult:
    """Run a batch of variants of ``project`` on Ray; what ``bench.run_batch`` delegates to.

    ``options`` go to :class:`RayBatchTestRunner` (``ray_address``, ``workspace``,
    ``backend``, ``keep_warm_s``, ``max_retries``) or to its ``run`` (``batch_id``).
    """
    batch_id = options.pop("batch_id", None)
    runner = RayBatchTestRunner(bench, **options)
    return runner.run(project, variants, from_checkpoint, max_parallel, on_progress, batch_id=batch_id)
