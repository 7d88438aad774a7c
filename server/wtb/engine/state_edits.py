"""State edits: LangGraph's ``update_state`` at the step a run goes on from, checked first.

An edit is made where the run will go on: at a step of the root graph, or at a step
inside a subgraph (a run paused at a question there, or rolled back or forked to such a
step). There LangGraph's ``update_state`` is given the subgraph's config, as a LangGraph
user gives the config ``get_state(..., subgraphs=True)`` shows for that subgraph: the
subgraph stores the edited state as a new checkpoint in its own namespace, and the run,
going on from the root step that runs the subgraph, finds it as that namespace's latest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.errors import InvalidUpdateError
from langgraph.graph import StateGraph

from wtb.engine.views import ViewRecorder, from_snapshot
from wtb.errors import AsNodeRequiredError, InvalidArgumentError


def edit_state(
    compiled: Any,
    config: dict[str, Any],
    updates: dict[str, Any],
    as_node: str | None,
    views: ViewRecorder,
    candidates: list[str] | None = None,
) -> dict[str, Any]:
    """Apply a state edit with LangGraph's ``update_state`` and record the checkpoint it makes.

    ``config`` names the checkpoint edited, in the root graph or (``checkpoint_ns``) in a
    subgraph. Where LangGraph cannot tell which node the edit stands for (a step that
    ran several nodes) it is an :class:`AsNodeRequiredError` naming the candidates, before
    anything is stored. ``candidates``: those nodes, when the checkpoint is a copy
    LangGraph cannot trace back (a fork's first). Returns the edited checkpoint's config.
    """
    namespace = str(config.get("configurable", {}).get("checkpoint_ns", ""))
    check_edit_fields(graph_at(compiled, namespace), updates)
    if namespace:
        config = shown_config(compiled, config)
    try:
        edited = compiled.update_state(config, updates, as_node=as_node)
    except InvalidUpdateError as exc:
        if as_node is None and "as_node" in str(exc):
            named = candidates if candidates is not None else step_nodes(compiled, config)
            raise AsNodeRequiredError(as_node_message(named), named) from exc
        raise
    views.add(from_snapshot(compiled.get_state(edited), edits=updates))
    return dict(edited)


def shown_config(compiled: Any, config: dict[str, Any]) -> dict[str, Any]:
    """A subgraph step's config as ``get_state`` shows it (with the checkpoints of the
    namespaces above it), less LangGraph's own entries (``__pregel_…``): given one, its
    ``update_state`` takes the config as already handed down to the subgraph and would
    write the edit with the parent graph's nodes."""
    shown = compiled.get_state(config).config["configurable"]
    return {"configurable": {key: value for key, value in shown.items() if not str(key).startswith("__")}}


def graph_at(compiled: Any, namespace: str) -> Any:
    """The compiled graph that runs the steps of ``namespace`` (``""``: ``compiled`` itself).

    A namespace names each subgraph on the way down by its node and task
    (``node:task|node:task``); LangGraph's ``get_subgraphs`` finds a subgraph by the nodes.
    One it cannot find (compiled anew inside a node's function, say) cannot be edited by
    LangGraph either: a clear error, before anything is stored.
    """
    if not namespace:
        return compiled
    path = "|".join(part.split(":", 1)[0] for part in namespace.split("|"))
    found = next((graph for _, graph in compiled.get_subgraphs(namespace=path, recurse=True)), None)
    if found is None:
        raise InvalidArgumentError(
            f"The step to edit is inside the subgraph {path!r}, which LangGraph cannot find among the graph's "
            "nodes (a subgraph compiled inside a node's function), so it cannot edit its state. Edit at the "
            "parent step that ran it instead."
        )
    return found


def check_edit_fields(compiled: Any, updates: Any) -> None:
    """Refuse a state edit that names a field the state of ``compiled`` (the root graph or
    the subgraph edited) does not have.

    LangGraph's ``update_state`` drops such a key without a word: a typo in an edit would
    then fork or resume a run from the state the user meant to change. The fields are the
    state's (``StateGraph.channels``: every key its schemas declare); a Functional API
    entrypoint's state is its value, edited whole, so it is not checked. ``_output_files``,
    which ``get_state`` adds, is let through: an edit made from a state read back whole.
    """
    builder = getattr(compiled, "builder", None)
    if not isinstance(updates, Mapping) or not isinstance(builder, StateGraph):
        return
    unknown = sorted(str(key) for key in updates if key not in builder.channels and key != "_output_files")
    if unknown:
        fields = ", ".join(sorted(builder.channels)) or "none"
        raise InvalidArgumentError(
            f"The state edit names {', '.join(repr(k) for k in unknown)}, which the graph's state does not have "
            f"(its fields: {fields})."
        )


def step_nodes(compiled: Any, config: dict[str, Any]) -> list[str]:
    """The nodes of the step that made a checkpoint: its parent's tasks, as LangGraph lists them."""
    state = compiled.get_state(config)
    parent = compiled.get_state(state.parent_config) if state.parent_config else None
    return sorted({task.name for task in parent.tasks}) if parent is not None else []


def as_node_message(candidates: list[str]) -> str:
    """Why a state edit needs ``as_node`` here, and the nodes it may name."""
    listed = ", ".join(repr(c) for c in candidates) or "none"
    return (
        f"This checkpoint comes after a step that ran several nodes ({listed}); LangGraph needs to know which "
        "node the state edit stands for. Pass as_node (CLI: --as-node) with one of them."
    )
