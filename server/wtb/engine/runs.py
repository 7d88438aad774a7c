"""Runs: create an execution, run it, resume it.

Preparing one run means choosing the graph (nodes in their own environments, replaying
nodes), the directory it runs in (the workspace, or an isolated copy) and the request
for the controller, which streams it and records every checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from wtb.config import PauseStrategyConfig, WorkflowProject
from wtb.engine import run_env
from wtb.engine.controller import Heads, RunRequest
from wtb.engine.recorder import EventSink
from wtb.engine.services import Services, check_input
from wtb.engine.state_adapter import thread_config
from wtb.engine.views import CheckpointView
from wtb.errors import InterruptPendingError, InvalidArgumentError, InvalidStateError
from wtb.filetrack import SqliteFileTrackingService
from wtb.models import Execution, ExecutionError, ExecutionStatus, InterruptRecord

logger = logging.getLogger(__name__)
Prepare = Callable[[Path], None]


def create_execution(
    services: Services,
    project: str | WorkflowProject,
    initial_state: Any = None,
    config: Mapping[str, Any] | None = None,
    name: str | None = None,
    batch_id: str | None = None,
    pause: PauseStrategyConfig | None = None,
    execution_id: str | None = None,
    golden_check: str | None = None,
) -> Execution:
    """Record a pending execution (no workflow code is imported).

    ``initial_state``: the graph's input; a mapping of state keys for a ``StateGraph``,
    any storable value for a Functional API entrypoint.

    A ``pause`` given here stays with the execution: its resumes pause at the same nodes.
    ``execution_id``: a pre-chosen id (a batch's driver and worker must agree on it).
    ``golden_check``: the golden this execution checks (kept as ``config["golden_check"]``: the
    editor tells check runs from ordinary ones by it, whatever their name).
    """
    chosen = services.project_of(project)
    what = f"Initial state of {chosen.name!r}"
    if initial_state is None or isinstance(initial_state, Mapping):
        blob = services.adapter.check_serializable(dict(initial_state or {}), what)
    else:  # a Functional API entrypoint takes any value as its input
        services.adapter.check_serializable({"input": initial_state}, what)  # names what cannot be stored
        blob = services.saver.serde.dumps_typed(initial_state)
    stored = run_config(config)
    if pause is not None:
        stored["pause"] = asdict(pause)
    if golden_check is not None:
        stored["golden_check"] = golden_check
    return services.executions.create(
        chosen.name, initial_state=blob, config=stored, name=name, batch_id=batch_id, execution_id=execution_id
    )


def run_execution(
    services: Services,
    execution_id: str,
    on_event: EventSink | None = None,
    pause: PauseStrategyConfig | None = None,
    prepare: Prepare | None = None,
) -> Execution:
    """Run a pending execution (``prepare``: run it in an isolated, adjusted directory)."""
    execution = services.executions.get(execution_id)
    if execution.status is not ExecutionStatus.PENDING:
        raise InvalidStateError(f"Execution {execution_id} is {execution.status.value}, not pending.")
    stored = services.executions.initial_state(execution_id)
    initial = services.saver.serde.loads_typed(stored) if stored else {}
    return start_run(services, execution, initial, None, on_event, pause, prepare=prepare)


def resume(
    services: Services,
    execution_id: str,
    state_updates: Mapping[str, Any] | None = None,
    on_event: EventSink | None = None,
    as_node: str | None = None,
    resume_value: Any = None,
    pause: PauseStrategyConfig | None = None,
) -> Execution:
    """Run a paused, forked or rolled-back execution on from its head (see ``WTBTestBench.resume``)."""
    execution = services.executions.get(execution_id)
    if execution.status in (ExecutionStatus.RUNNING, ExecutionStatus.PENDING):
        raise InvalidStateError(f"Execution {execution_id} is {execution.status.value}; it cannot resume.")
    execution.head_checkpoint_id = services.adapter.head_of(execution)
    if execution.head_checkpoint_id is None:
        raise InvalidStateError(f"Execution {execution_id} has no checkpoint to resume from.")
    found = services.adapter.get_tuple(execution.thread_id, execution.head_checkpoint_id)
    head = services.adapter.view(found, execution.id)
    updates = dict(state_updates) if state_updates else None
    edited = bool(updates or as_node)
    files_at = _files_to_go_on_with(services, execution.thread_id, head)
    tracker = services.tracker
    start_files = _files_to_start_from(tracker, execution.head_checkpoint_id, files_at, edited) if tracker else None
    isolated = services.get_project(execution.project).execution.workspace == "isolated"
    if tracker is not None and start_files and not isolated:
        with services.locks.workspace():
            tracker.restore(start_files)
    start: str | None = execution.head_checkpoint_id
    heads: Heads | None = None
    edit_at: tuple[str, str] | None = None
    if head.namespace:
        start, heads = _inside_subgraph(services, execution, found, head.namespace, bool(head.interrupts()))
        edit_at = (head.namespace, execution.head_checkpoint_id) if edited else None
    command = resume_command(execution_id, services.adapter.pending_interrupts(found, execution.id), resume_value)
    return start_run(
        services, execution, command, start, on_event, pause, updates, as_node,
        files_from=files_at, heads=heads, start_files=start_files, edit_at=edit_at,
    )


def _files_to_start_from(
    tracker: SqliteFileTrackingService, head_id: str, files_at: str, edited: bool
) -> str | None:
    """The snapshot a resume restores: the files a run stopped with at the head, when one
    stopped there (tasks of the step it left had finished and written files; LangGraph does
    not run them again), else the files of ``files_at``. An edit (``update_state``) makes a
    new step whose tasks all run again: then the checkpoint's own files."""
    stopped = None if edited else tracker.stop_snapshot(head_id)
    return stopped if stopped is not None else tracker.checkpoint_snapshot(files_at)


def _files_to_go_on_with(services: Services, thread_id: str, head: CheckpointView) -> str:
    """The checkpoint whose files a resume starts from: the head's, unless the head is the
    thread's latest root step and a subgraph it ran stopped inside (at an interrupt): then
    LangGraph goes on inside the subgraph, whose steps before the stop wrote files, and the
    latest checkpoint stored under the head (in any namespace) has them.
    """
    if head.namespace or not head.next:
        return head.checkpoint_id
    latest = services.saver.get_tuple(thread_config(thread_id))
    if latest is None or str(latest.checkpoint["id"]) != head.checkpoint_id:
        return head.checkpoint_id  # a step the thread moved past: LangGraph runs its subgraphs anew
    for found in services.saver.list({"configurable": {"thread_id": thread_id}}):  # newest first
        checkpoint_id = str(found.checkpoint["id"])
        if checkpoint_id <= head.checkpoint_id:
            break
        if ((found.metadata or {}).get("parents") or {}).get("") == head.checkpoint_id:
            return checkpoint_id
    return head.checkpoint_id


def _inside_subgraph(
    services: Services, execution: Execution, found: Any, namespace: str, asked: bool
) -> tuple[str | None, Heads | None]:
    """Where a run goes on from a head inside a subgraph: the root step that ran it, and, when
    the thread has moved past the head (an execution rolled back there), the checkpoint of
    every namespace down to the head's that the run reads as its latest.

    LangGraph goes on inside the subgraph when, in every namespace from the root down to
    the head's, the latest checkpoint is the one the head runs under (``parents``): true of
    a fork from that step (``fork``'s inside-subgraph case) and of a run paused inside it;
    for any other, the run's saver reads those as the latest (``TrackingSaver.continue_from``).
    """
    parents = {str(ns): str(cid) for ns, cid in ((found.metadata or {}).get("parents") or {}).items()}
    head_id = str(found.checkpoint["id"])
    stood = services.saver.stop_heads(execution.thread_id, head_id)  # a run stopped inside several subgraphs
    parents = {**parents, **stood, namespace: head_id}
    latest = {
        ns: services.saver.get_tuple({"configurable": {"thread_id": execution.thread_id, "checkpoint_ns": ns}})
        for ns in parents
    }
    if all(t is not None and str(t.checkpoint["id"]) == parents[ns] for ns, t in latest.items()):
        return parents.get("", ""), None
    return None, Heads(parents, asked or bool(stood))


def resume_command(execution_id: str, pending: list[InterruptRecord], answer: Any) -> Any:
    """LangGraph's ``Command(resume=...)`` for the questions pending (None: nothing to answer).

    Several questions are answered by a dict keyed by their ids. Resuming without an
    answer while a question waits would run nothing and call it done: refused instead.
    """
    if answer is None:
        if pending:
            asked = "; ".join(f"{p.node} ({p.id}): {p.value!r}" for p in pending)
            raise InterruptPendingError(
                f"Execution {execution_id} waits on {len(pending)} question(s) asked with interrupt(): {asked}. "
                "Resume with an answer (resume_value=..., CLI --resume-value; several: a dict keyed by id)."
            )
        return None
    if len(pending) > 1 and not (isinstance(answer, Mapping) and set(answer) <= {p.id for p in pending}):
        ids = ", ".join(p.id for p in pending)
        raise InvalidArgumentError(
            f"Execution {execution_id} waits on {len(pending)} questions; answer them with a dict keyed by "
            f"their ids ({ids})."
        )
    from langgraph.types import Command

    return Command(resume=dict(answer) if isinstance(answer, Mapping) and len(pending) > 1 else answer)


def mark_finished(
    services: Services, execution_id: str, status: ExecutionStatus | str, error: ExecutionError | None = None
) -> Execution:
    """Record how an execution ended when its worker could not (killed, cancelled, timed out)."""
    return services.executions.set_status(execution_id, ExecutionStatus(status), error)


def run_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Accept LangGraph's ``RunnableConfig`` (``configurable``, ``recursion_limit``) or a bare
    configurable; ``context`` is the run's runtime context (a graph's ``context_schema``,
    given as a mapping: LangGraph turns it into the schema's type)."""
    if not config:
        return {}
    if not isinstance(config, Mapping):
        raise InvalidArgumentError("config must be a mapping (LangGraph's RunnableConfig or its 'configurable').")
    if not {"configurable", "recursion_limit", "context"} & set(config):
        return {"configurable": dict(config)}
    result: dict[str, Any] = {"configurable": dict(config.get("configurable") or {})}
    if "recursion_limit" in config:
        result["recursion_limit"] = int(config["recursion_limit"])
    if config.get("context") is not None:
        if not isinstance(config["context"], Mapping):
            raise InvalidArgumentError(
                "config['context'] must be a mapping of the graph's context_schema fields "
                f"(got {type(config['context']).__name__})."
            )
        result["context"] = dict(config["context"])
    return result


def start_run(
    services: Services,
    execution: Execution,
    initial: Any,
    checkpoint_id: str | None,
    on_event: EventSink | None,
    pause: PauseStrategyConfig | None,
    state_updates: dict[str, Any] | None = None,
    as_node: str | None = None,
    prepare: Prepare | None = None,
    files_from: str | None = None,
    heads: Heads | None = None,
    start_files: str | None = None,
    edit_at: tuple[str, str] | None = None,
) -> Execution:
    """Run ``execution`` (from ``checkpoint_id`` when resuming) and return it when it stops.

    ``heads``: the checkpoints the run reads as the latest of their namespaces (a run
    going on inside a subgraph, see :func:`_inside_subgraph`); ``checkpoint_id`` is then None.

    ``files_from``: the checkpoint whose files the workspace holds as the run starts, when
    not ``checkpoint_id``'s (a run continuing inside a subgraph starts from the root step).
    ``start_files``: the snapshot the workspace holds as the run starts, when known
    (a resume restored it: see :func:`_files_to_start_from`).
    ``edit_at``: the step inside a subgraph that ``state_updates`` edit (see ``RunRequest``).

    ``prepare`` asks for an isolated directory, materialised from the workspace's current
    snapshot and then adjusted by ``prepare`` (a regression check puts the golden run's
    starting outputs there).
    """
    services.check_data_dir()
    project = services.get_project(execution.project)
    loaded = services.load_graph(project)
    if checkpoint_id is None and heads is None:  # a first run: the daemon and a batch record it unchecked
        check_input(project, loaded, initial)
    graph = with_node_envs(services, project, loaded, execution.id)
    replayed: list[str] = []
    graph = with_replay(services, project, graph, replayed, execution.id)
    tracker = services.tracker if project.file_tracking.enabled else None
    files_at = files_from or checkpoint_id
    previous = start_files or (tracker.checkpoint_snapshot(files_at) if tracker and files_at else None)
    directory = services.workspace
    if project.execution.workspace == "isolated" or prepare is not None:
        directory, tracker = isolated_workspace(services, execution.id, previous, prepare)
    request = RunRequest(
        execution=execution,
        graph=graph,
        input=initial,
        checkpoint_id=checkpoint_id,
        directory=directory,
        tracker=tracker,
        previous_snapshot=previous,
        pause=pause or stored_pause(execution) or project.pause,
        durability=run_durability(project, tracker is not None),
        recursion_limit=execution.config.get("recursion_limit", project.execution.recursion_limit),
        state_updates=state_updates,
        as_node=as_node,
        replayed=replayed,
        heads=heads,
        edit_at=edit_at,
        stop_requested=lambda: (
            services.locks.cancel_requested(execution.id) or services.data_dir_identity.lost() is not None
        ),
        env=run_env.variables(project.environment, services.workspace),
    )
    # The lock is held from before the controller marks the execution running until after it
    # records the end: a running execution whose lock is free has no live process (liveness.py).
    with services.locks.execution(execution.id, timeout_s=1.0):
        services.locks.clear_cancel(execution.id)  # a request that came after an earlier run ended
        try:
            ended = services.controller.run(request, on_event)
        finally:
            services.locks.clear_cancel(execution.id)
    # A node that deleted the data directory stopped the run before its next step (see
    # stop_requested): its record went with the folder, so the caller hears of it here.
    services.check_data_dir(f"; run {execution.id} was stopped there")
    return ended


def run_durability(project: WorkflowProject, tracking: bool) -> str:
    """LangGraph's durability for a run: "sync" with file tracking (the files at a checkpoint
    must be that step's), else the project's; never "exit", which would store the last
    checkpoint only: WTB is there to keep every step."""
    asked = project.execution.durability
    if asked == "exit":
        logger.warning(
            "workflow %r asks for durability='exit'; WTB checkpoints every step (durability=%r) so that each "
            "step can be inspected, rolled back and forked", project.name, "sync" if tracking else "async",
        )
    if tracking:
        return "sync"
    return "async" if asked == "exit" else asked


def stored_pause(execution: Execution) -> PauseStrategyConfig | None:
    """The pause points given when the execution was created (they stay with it)."""
    stored = execution.config.get("pause")
    return PauseStrategyConfig(**stored) if stored else None


def with_node_envs(services: Services, project: WorkflowProject, graph: Any, execution_id: str) -> Any:
    """Swap the nodes that have an environment of their own for subprocess proxies."""
    envs = project.environment.node_envs
    if not envs:
        return graph
    from wtb.engine.node_env import EnvironmentManager, NodeEnvironmentError
    from wtb.engine.node_proxy import NodeProcess, subprocess_node, with_nodes_replaced

    manager = EnvironmentManager(services.data_dir)
    log_file = services.data_dir / "logs" / f"{execution_id}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        with log_file.open("a", encoding="utf-8") as out:
            out.write(text)

    replacements = {}
    for node, env in envs.items():
        if not env.entrypoint:
            raise NodeEnvironmentError(
                f"Node {node!r} has its own environment but no entrypoint: give NodeEnvironment(entrypoint="
                "'module:function') importable in that environment."
            )
        python = manager.python_for(env)
        process = services.node_processes.setdefault(str(python), NodeProcess(python))
        replacements[node] = subprocess_node(node, process, env.entrypoint, log)
    return with_nodes_replaced(graph, replacements)


def with_replay(
    services: Services, project: WorkflowProject, graph: Any, replayed: list[str], execution_id: str
) -> Any:
    """With ``ExecutionConfig(replay="recorded")`` or ``replay_nodes``, nodes answer from recordings."""
    config = project.execution
    if config.replay != "recorded" and not config.replay_nodes:
        return graph
    from langgraph.graph import StateGraph

    from wtb.engine.node_proxy import with_nodes_replaced
    from wtb.engine.replay import Replayer, replaying_node

    builder = graph if isinstance(graph, StateGraph) else graph.builder
    names = list(config.replay_nodes) or list(builder.nodes)
    from wtb.engine.inspection import read_file

    replayer = Replayer(services, project.name, execution_id)

    def read(execution: str, checkpoint: str | None, path: str) -> bytes:
        return read_file(services, execution, checkpoint, path)

    replacements = {
        name: replaying_node(name, builder.nodes[name].runnable, replayer, read, replayed)
        for name in names
    }
    return with_nodes_replaced(builder, replacements)


def isolated_workspace(
    services: Services, execution_id: str, snapshot: str | None, prepare: Prepare | None = None
) -> tuple[Path, Any]:
    """A directory of the data dir holding the execution's files, tracked on its own.

    It starts as the head's snapshot (a resumed fork) or as a snapshot of the user's
    workspace now (a new run); the user's workspace is never written.
    """
    from wtb.filetrack import SqliteFileTrackingService

    source = services.tracker_or_fail()
    directory = services.data_dir / "workspaces" / execution_id
    directory.mkdir(parents=True, exist_ok=True)
    source.restore(snapshot or source.snapshot(), target_dir=directory)
    if prepare is not None:
        prepare(directory)
    tracker = SqliteFileTrackingService(directory, services.data_dir, replace(services.file_tracking, watch=False))
    services.isolated_trackers.append(tracker)
    return directory, tracker
