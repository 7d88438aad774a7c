"""Preparing one run: the graph (nodes in their own environments, replaying nodes), the
directory it runs in (the workspace, or an isolated copy) and the request for the controller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wtb.config import PauseStrategyConfig, WorkflowProject
from wtb.engine.controller import RunRequest
from wtb.engine.recorder import EventSink
from wtb.models import Execution

if TYPE_CHECKING:
    from wtb.sdk.bench import WTBTestBench

Prepare = Callable[[Path], None]


def start_run(
    bench: WTBTestBench,
    execution: Execution,
    initial: Any,
    checkpoint_id: str | None,
    on_event: EventSink | None,
    pause: PauseStrategyConfig | None,
    state_updates: dict[str, Any] | None = None,
    as_node: str | None = None,
    prepare: Prepare | None = None,
) -> Execution:
    """Run ``execution`` (from ``checkpoint_id`` when resuming) and return it when it stops.

    ``prepare`` asks for an isolated directory, materialised from the workspace's current
    snapshot and then adjusted by ``prepare`` (a regression check puts the golden run's
    starting outputs there).
    """
    project = bench.get_project(execution.project)
    graph = with_node_envs(bench, project, bench._load_graph(project), execution.id)
    replayed: list[str] = []
    graph = with_replay(bench, project, graph, replayed, execution.id)
    tracker = bench._tracker if project.file_tracking.enabled else None
    previous = tracker.checkpoint_snapshot(checkpoint_id) if tracker and checkpoint_id else None
    directory = bench.workspace
    if project.execution.workspace == "isolated" or prepare is not None:
        directory, tracker = isolated_workspace(bench, execution.id, previous, prepare)
    request = RunRequest(
        execution=execution,
        graph=graph,
        input=initial,
        checkpoint_id=checkpoint_id,
        directory=directory,
        tracker=tracker,
        previous_snapshot=previous,
        pause=pause or stored_pause(execution) or project.pause,
        durability="sync" if tracker else project.execution.durability,
        recursion_limit=execution.config.get("recursion_limit", project.execution.recursion_limit),
        state_updates=state_updates,
        as_node=as_node,
        replayed=replayed,
    )
    with bench._locks.execution(execution.id, timeout_s=1.0):
        return bench._controller.run(request, on_event)


def stored_pause(execution: Execution) -> PauseStrategyConfig | None:
    """The pause points given when the execution was created (they stay with it)."""
    stored = execution.config.get("pause")
    return PauseStrategyConfig(**stored) if stored else None


def with_node_envs(bench: WTBTestBench, project: WorkflowProject, graph: Any, execution_id: str) -> Any:
    """Swap the nodes that have an environment of their own for subprocess proxies."""
    envs = project.environment.node_envs
    if not envs:
        return graph
    from wtb.engine.node_env import EnvironmentManager, NodeEnvironmentError
    from wtb.engine.node_proxy import NodeProcess, subprocess_node, with_nodes_replaced

    manager = EnvironmentManager(bench.data_dir)
    log_file = bench.data_dir / "logs" / f"{execution_id}.log"
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
        process = bench._node_processes.setdefault(str(python), NodeProcess(python))
        replacements[node] = subprocess_node(node, process, env.entrypoint, log)
    return with_nodes_replaced(graph, replacements)


def with_replay(
    bench: WTBTestBench, project: WorkflowProject, graph: Any, replayed: list[str], execution_id: str
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
    replayer = Replayer(bench, project.name, execution_id)
    replacements = {
        name: replaying_node(name, builder.nodes[name].runnable, replayer, bench.read_file, replayed)
        for name in names
    }
    return with_nodes_replaced(builder, replacements)


def isolated_workspace(
    bench: WTBTestBench, execution_id: str, snapshot: str | None, prepare: Prepare | None = None
) -> tuple[Path, Any]:
    """A directory of the data dir holding the execution's files, tracked on its own.

    It starts as the head's snapshot (a resumed fork) or as a snapshot of the user's
    workspace now (a new run); the user's workspace is never written.
    """
    from wtb.filetrack import SqliteFileTrackingService

    source = bench._tracker_or_fail()
    directory = bench.data_dir / "workspaces" / execution_id
    directory.mkdir(parents=True, exist_ok=True)
    source.restore(snapshot or source.snapshot(), target_dir=directory)
    if prepare is not None:
        prepare(directory)
    tracker = SqliteFileTrackingService(directory, bench.data_dir, replace(bench.file_tracking, watch=False))
    bench._isolated_trackers.append(tracker)
    return directory, tracker
