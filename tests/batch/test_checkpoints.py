"""A variant's checkpoints travel through LangGraph's public checkpointer API, faithfully and idempotently.

The worker reads its thread with ``saver.list`` and serialises with ``saver.serde``; the
driver stores with ``put``/``put_writes``. Here the worker's own view of each variant is
taken just before its directory is removed (a spy around the bundle) and compared with
what the driver reads back after the merge: through ``saver.list``, through the compiled
graph's ``get_state_history`` and through WTB's ``get_checkpoints``. No Ray: the local
backend runs the same worker code in this process.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from wtb.batch import run_batch, worker
from wtb.batch.bundle import VariantBundle
from wtb.batch.checkpoints import (
    Encoded,
    PassThroughSerializer,
    export_thread,
    import_checkpoints,
    saver_for,
    task_path_text,
)
from wtb.batch.merge import merge_bundle
from wtb.engine import inspection
from wtb.engine.checkpointer import open_checkpoint_db
from wtb.engine.loader import load_object
from wtb.engine.services import Services

# Three parallel tasks (LangGraph ``Send``) whose writes land on one checkpoint: the order
# LangGraph gives them back depends on the task paths, which the merge must carry over.
FAN = '''
import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send


class S(TypedDict, total=False):
    label: str
    items: list
    seen: Annotated[list, operator.add]
    total: int


def plan(state):
    return {"items": [3, 1, 2]}


def fan(state):
    return [Send("work", {"items": [item], "label": state.get("label", "")}) for item in state["items"]]


def work(state):
    return {"seen": [state["items"][0] * 10]}


def tally(state):
    return {"total": sum(state.get("seen", [])), "label": state.get("label", "") + "!"}


graph = StateGraph(S)
graph.add_node("plan", plan)
graph.add_node("work", work)
graph.add_node("tally", tally)
graph.add_edge(START, "plan")
graph.add_conditional_edges("plan", fan, ["work"])
graph.add_edge("work", "tally")
graph.add_edge("tally", END)
'''


def _thread(thread_id: str) -> Any:
    return {"configurable": {"thread_id": thread_id}}


def _view(services: Services, execution_id: str, graph: Any) -> dict[str, Any]:
    """Everything the public APIs say about an execution's checkpoints."""
    thread_id = inspection.get_execution(services, execution_id).thread_id
    saver = services.adapter.saver
    tuples = [
        (t.config["configurable"], (t.parent_config or {}).get("configurable"), t.checkpoint, t.metadata,
         t.pending_writes)
        for t in saver.list(_thread(thread_id))
    ]
    history = [
        (s.config["configurable"], (s.parent_config or {}).get("configurable"), s.values, s.next, s.metadata,
         [(task.id, task.name, task.path) for task in s.tasks])
        for s in graph.compile(checkpointer=saver).get_state_history(_thread(thread_id))
    ]
    checkpoints = inspection.get_checkpoints(services, execution_id)
    wtb = [(c.id, c.parent_id, c.step, c.source, c.writes, c.next) for c in checkpoints]
    return {"list": tuples, "history": history, "wtb": wtb}


def _stored(bench: Any) -> list[Any]:
    """Every checkpoint and write of the driver's database, as stored (bytes, not decoded)."""
    conn = open_checkpoint_db(bench.services.checkpoint_path)
    try:
        return [
            (t.config, t.parent_config, t.checkpoint, t.metadata, t.pending_writes)
            for t in saver_for(conn).list(None)
        ]
    finally:
        conn.close()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """execution id → the worker's view of it and its bundle, taken before the worker's dir is removed."""
    seen: dict[str, dict[str, Any]] = {}
    original = worker._bundle

    def bundle(bench: Any, execution_id: str, *args: Any, **kwargs: Any) -> VariantBundle:
        made = original(bench, execution_id, *args, **kwargs)
        graph = load_object("fan.py:graph", bench.workspace)
        seen[execution_id] = {"view": _view(bench, execution_id, graph), "bundle": made.pack()}
        return made

    monkeypatch.setattr(worker, "_bundle", bundle)
    return seen


def test_a_merged_variant_reads_back_as_the_worker_stored_it(
    make_workspace: Any, make_bench: Any, spy: dict[str, dict[str, Any]]
) -> None:
    workspace = make_workspace({"fan.py": FAN}, {"fan": "./fan.py:graph"}, name="fan_ws")
    bench = make_bench(workspace)
    graph = load_object("fan.py:graph", workspace)
    first = run_batch(bench, "fan", [{"name": "a", "initial_state": {"label": "a"}},
                                     {"name": "b", "initial_state": {"label": "b"}}], backend="local")
    assert first.status == "completed" and first["a"].state["total"] == 60
    source = first["a"].execution_id
    after_plan = next(c for c in bench.get_checkpoints(source) if "plan" in c.writes)
    forked = run_batch(bench, "fan", [{"name": "edited", "state_updates": {"label": "e"}}],
                       from_checkpoint=f"{source}:{after_plan.id}", backend="local")
    assert forked.status == "completed" and forked["edited"].state["label"] == "e!"

    executions = [v.execution_id for v in (*first.variants, *forked.variants)]
    assert sorted(spy) == sorted(executions)
    for execution_id in executions:
        merged = _view(bench.services, execution_id, graph)
        assert merged == spy[execution_id]["view"]
        fanned = [t for t in merged["list"] if len({w[0] for w in t[4]}) == 3]
        assert fanned, "the three parallel tasks' writes are on one checkpoint"
        assert any(c[4] for c in merged["wtb"])  # and WTB names the nodes that wrote

    # The driver stored exactly the bytes the workers serialised.
    stored = {t[0]["configurable"]["checkpoint_id"]: t for t in _stored(bench)}
    for execution_id in executions:
        for entry in VariantBundle.unpack(spy[execution_id]["bundle"]).checkpoints:
            assert stored[entry["checkpoint_id"]][2] == Encoded(tuple(entry["checkpoint"]))  # type: ignore[arg-type]

    # Merging every bundle again changes nothing, down to the bytes.
    before = _stored(bench)
    views = {e: _view(bench.services, e, graph) for e in executions}
    for execution_id in executions:
        merge_bundle(bench.services, VariantBundle.unpack(spy[execution_id]["bundle"]))
    assert _stored(bench) == before
    assert {e: _view(bench.services, e, graph) for e in executions} == views


SHAPES = '''
from dataclasses import dataclass


@dataclass
class Shape:
    sides: int
'''


def test_the_driver_stores_what_the_worker_serialised_without_decoding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A class the driver cannot import survives the merge (a decoding driver would keep only its fields)."""
    from langgraph.checkpoint.base import empty_checkpoint
    from langgraph.checkpoint.sqlite import SqliteSaver

    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "wtb_test_shapes.py").write_text(SHAPES, encoding="utf-8")
    monkeypatch.syspath_prepend(str(modules))
    import wtb_test_shapes  # type: ignore[import-not-found]

    made = SqliteSaver(open_checkpoint_db(tmp_path / "worker.db"))
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"shape": wtb_test_shapes.Shape(3)}
    config = made.put({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}, checkpoint,
                      {"source": "input", "step": -1}, {})  # type: ignore[typeddict-unknown-key]
    made.put_writes(config, [("shape", wtb_test_shapes.Shape(4))], "task-1", "~__pregel_pull, grow")
    entries = export_thread(made, "t")
    made.conn.close()

    monkeypatch.delitem(sys.modules, "wtb_test_shapes")
    sys.path.remove(str(modules))
    import_checkpoints(tmp_path / "driver.db", entries)
    import_checkpoints(tmp_path / "driver.db", entries)

    sys.path.insert(0, str(modules))
    read = SqliteSaver(open_checkpoint_db(tmp_path / "driver.db"))
    found = read.get_tuple({"configurable": {"thread_id": "t"}})
    read.conn.close()
    assert found is not None
    shape = found.checkpoint["channel_values"]["shape"]
    assert type(shape).__name__ == "Shape" and shape.sides == 3
    assert [(t, c, type(v).__name__, v.sides) for t, c, v in found.pending_writes or []] == [
        ("task-1", "shape", "Shape", 4)
    ]


def test_the_pass_through_serializer_refuses_what_it_did_not_prepare() -> None:
    serde = PassThroughSerializer()
    assert serde.dumps_typed(Encoded(("msgpack", b"\x01"))) == ("msgpack", b"\x01")
    assert serde.loads_typed(("msgpack", b"\x01")) == Encoded(("msgpack", b"\x01"))
    with pytest.raises(TypeError, match="serialised by a worker"):
        serde.dumps_typed({"id": "x"})


def test_task_paths_in_langgraph_text_form() -> None:
    assert task_path_text(("__pregel_pull", "plan")) == "~__pregel_pull, plan"
    assert task_path_text(("__pregel_push", 2, False)) == "~__pregel_push, 0000000002, 0000000000"
    nested = ("__pregel_push", ("__pregel_pull", "a"), 1)
    assert task_path_text(nested) == "~__pregel_push, ~__pregel_pull, a, 0000000001"
