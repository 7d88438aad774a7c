"""Batches on a real local Ray (two CPUs): the acceptance tests of the batch runner."""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RAG_INPUT
from wtb.batch import RayBatchTestRunner, Variant, get_batch, list_batches, run_batch
from wtb.batch.errors import ResourceUnavailableError
from wtb.batch.records import cancel_batch
from wtb.config import ExecutionConfig, NodeResourceConfig, WorkflowProject
from wtb.models import ExecutionStatus

pytestmark = [pytest.mark.ray, pytest.mark.slow]

RAG_VARIANTS = [
    Variant("revenue", initial_state={"query": "How much did revenue grow?", "top_k": 2}),
    Variant("ray", initial_state={"query": "What is Ray?", "top_k": 1}),
    Variant("langgraph", initial_state={"query": "What does LangGraph checkpoint?", "top_k": 2}),
    Variant("sqlite", initial_state={"query": "Is SQLite a server?", "top_k": 3}),
    Variant("revenue-small", initial_state={"query": "How much did revenue grow?", "top_k": 1},
            config={"model": "small"}),
    Variant("ray-override", initial_state={"query": "What is Ray?", "top_k": 2},
            node_overrides={"rag_retrieve": "retrievers.py:always_sqlite"}),
]


def test_six_rag_variants_complete_each_with_its_own_checkpoints_files_and_rows(
    ray_local: Any, rag_ws: Path, make_bench: Any
) -> None:
    bench = make_bench(rag_ws)
    events: list[dict[str, Any]] = []
    result = run_batch(bench, "rag", RAG_VARIANTS, max_parallel=2, on_progress=events.append)

    assert result.status == "completed", result.table()
    assert [v.name for v in result.variants] == [v.name for v in RAG_VARIANTS]
    for variant, spec in zip(result.variants, RAG_VARIANTS, strict=True):
        assert variant.status == "completed"
        execution = bench.get_execution(variant.execution_id)
        assert execution.status is ExecutionStatus.COMPLETED and execution.batch_id == result.batch_id
        assert [c.step for c in bench.get_checkpoints(variant.execution_id)] == [3, 2, 1, 0, -1]
        state = bench.get_state(variant.execution_id)
        assert state["query"] == spec.initial_state["query"]
        answer = bench.read_file(variant.execution_id, None, "out/answer.md").decode()
        assert answer.startswith(f"# {spec.initial_state['query']}\n")  # same path, its own content
        assert bench.read_file(variant.execution_id, None, "index/manifest.txt").decode().count(".txt") == 4
        assert variant.files["out/answer.md"] is not None
        assert set(variant.node_timings) == {"rag_embed_docs", "rag_retrieve", "rag_generate"}
    assert result["ray-override"].state["retrieved"] == ["sqlite.txt"]
    assert result["ray"].state["retrieved"] == ["ray.txt"]
    assert result.nodes == [ray_local.get_runtime_context().get_node_id()]  # where each variant ran
    assert all(v.shipped["task"] > 0 and v.shipped["result"] > 0 for v in result.variants)
    assert len(result["sqlite"].state["retrieved"]) == 3 and len(result["revenue-small"].state["retrieved"]) == 1
    assert bench.get_execution(result["revenue-small"].execution_id).config == {"configurable": {"model": "small"}}
    # The driver's own workspace was never written: every variant had a directory of its own.
    assert not (rag_ws / "out").exists()

    with sqlite3.connect(bench.data_dir / "wtb.db") as conn:
        rows = conn.execute("SELECT status FROM executions WHERE batch_id = ?", (result.batch_id,)).fetchall()
        batch_row = conn.execute("SELECT status, variants, result FROM batch_tests WHERE id = ?",
                                 (result.batch_id,)).fetchone()
    assert [r[0] for r in rows] == ["completed"] * 6
    assert batch_row[0] == "completed"
    assert len(json.loads(batch_row[1])) == 6 and json.loads(batch_row[2])["counts"] == {"completed": 6}
    assert len(bench.list_executions(batch_id=result.batch_id)) == 6

    comparison = result.comparison
    assert {"answer", "retrieved", "query", "top_k"} <= set(comparison.state)
    assert "doc_count" in comparison.same_state
    assert "out/answer.md" in comparison.files
    assert "index/vectors.json" in comparison.same_files
    table = result.table()
    assert "retrieved" in table and "out/answer.md" in table and "revenue-small" in table
    assert json.loads(result.to_json())["comparison"]["files"]["out/answer.md"]
    finished = [e for e in events if e["type"] == "variant" and e["status"] == "completed"]
    assert len(finished) == 6 and finished[-1]["done"] == 6
    assert events[-1] == {**events[-1], "type": "batch", "status": "completed"}
    assert get_batch(bench, result.batch_id).status == "completed"


def test_a_raising_variant_and_a_killed_actor_fail_alone(ray_local: Any, flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws)
    variants = [
        {"name": "exits", "initial_state": {"label": "exits", "mode": "exit"}},
        {"name": "ok1", "initial_state": {"label": "ok1"}},
        {"name": "raises", "initial_state": {"label": "raises", "mode": "raise"}},
        {"name": "ok2", "initial_state": {"label": "ok2"}},
    ]
    result = run_batch(bench, "flow", variants, max_parallel=2)

    assert result.status == "failed"
    assert {v.name: v.status for v in result.variants} == {
        "exits": "failed", "ok1": "completed", "raises": "failed", "ok2": "completed"
    }
    died = result["exits"]
    assert died.error is not None and died.error.type == "WorkerDied" and "exits" in died.error.message
    assert bench.get_execution(died.execution_id).status is ExecutionStatus.FAILED
    raised = result["raises"]
    assert raised.error is not None and raised.error.node == "act" and raised.error.type == "RuntimeError"
    assert "boom in raises" in (raised.reason or "")
    # The checkpoints the failing run made before the error came back with it.
    assert bench.get_state(raised.execution_id)["out"] == "prepared"
    for name in ("ok1", "ok2"):
        execution_id = result[name].execution_id
        assert bench.read_file(execution_id, None, "out/result.txt") == f"done {name}\n".encode()
    assert result.comparison.variants == ["ok1", "ok2"]


def test_cancel_stops_running_variants_and_keeps_finished_ones(
    ray_local: Any, flow_ws: Path, make_bench: Any
) -> None:
    bench = make_bench(flow_ws)
    variants = [Variant("fast", initial_state={"label": "fast"})] + [
        Variant(f"slow{i}", initial_state={"label": f"slow{i}", "mode": "sleep", "seconds": 120}) for i in range(3)
    ]
    cancelled = threading.Event()

    def on_progress(event: dict[str, Any]) -> None:
        if event.get("variant") == "fast" and event["status"] == "completed" and not cancelled.is_set():
            cancelled.set()
            cancel_batch(bench, event["batch_id"])  # the path `wtb batch-cancel` takes, via wtb.db

    result = run_batch(bench, "flow", variants, max_parallel=2, on_progress=on_progress)

    assert cancelled.is_set()
    assert result.status == "cancelled"
    assert result["fast"].status == "completed"
    assert bench.read_file(result["fast"].execution_id, None, "out/result.txt") == b"done fast\n"
    for name in ("slow0", "slow1", "slow2"):
        assert result[name].status == "cancelled"
        assert bench.get_execution(result[name].execution_id).status is ExecutionStatus.CANCELLED
    assert get_batch(bench, result.batch_id).status == "cancelled"


def test_a_variant_over_its_time_limit_is_stopped_and_failed(ray_local: Any, flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws)
    project = WorkflowProject("flow-limited", "./flow.py:graph", execution=ExecutionConfig(timeout_s=3))
    variants = [{"name": "stuck", "initial_state": {"mode": "sleep", "seconds": 120}}, {"name": "quick"}]
    result = run_batch(bench, project, variants, max_parallel=2)
    assert result["quick"].status == "completed"
    stuck = result["stuck"]
    assert stuck.status == "failed" and stuck.error is not None and stuck.error.type == "Timeout"
    assert bench.get_execution(stuck.execution_id).status is ExecutionStatus.FAILED


def test_a_batch_from_a_checkpoint_of_an_earlier_execution(ray_local: Any, rag_ws: Path, make_bench: Any) -> None:
    bench = make_bench(rag_ws)
    source = bench.run("rag", RAG_INPUT)
    before_generate = next(c for c in bench.get_checkpoints(source.id) if c.next == ["rag_generate"])
    variants = [
        {"name": "ray-doc", "stateUpdates": {"retrieved": ["ray.txt"]}},
        {"name": "sqlite-doc", "state_updates": {"retrieved": ["sqlite.txt"]}, "config": {"temperature": 0}},
    ]
    result = run_batch(bench, "rag", variants, from_checkpoint=(source.id, before_generate.id))

    assert result.status == "completed", result.table()
    assert result.from_checkpoint == {"execution_id": source.id, "checkpoint_id": before_generate.id}
    for variant, doc in (("ray-doc", "ray.txt"), ("sqlite-doc", "sqlite.txt")):
        execution = bench.get_execution(result[variant].execution_id)
        assert execution.parent_id == source.id and execution.parent_checkpoint_id == before_generate.id
        assert execution.state["retrieved"] == [doc] and execution.state["query"] == RAG_INPUT["query"]
        answer = bench.read_file(execution.id, None, "out/answer.md").decode()
        assert answer.endswith(f"Sources:\n- {doc}\n")
        checkpoints = bench.get_checkpoints(execution.id)
        assert checkpoints[-1].source == "fork" and checkpoints[0].next == []
        # The files at the fork point are the source checkpoint's: the index is there, no answer yet.
        assert "index/vectors.json" in bench.get_files(execution.id, checkpoints[-1].id)
        assert "out/answer.md" not in bench.get_files(execution.id, checkpoints[-1].id)
    assert result["sqlite-doc"].state["answer"] != result["ray-doc"].state["answer"]
    assert bench.get_execution(result["sqlite-doc"].execution_id).config == {"configurable": {"temperature": 0}}
    assert set(result.comparison.files) == {"out/answer.md"}
    assert {"answer", "retrieved"} <= set(result.comparison.state)
    tree = {node.execution.id: node for node in bench.get_execution_tree("rag")}
    assert {child.execution.id for child in tree[source.id].children} == {v.execution_id for v in result.variants}


def test_warm_actors_are_reused_by_the_next_batch_of_the_same_shape(
    ray_local: Any, flow_ws: Path, make_bench: Any
) -> None:
    bench = make_bench(flow_ws)
    runner = RayBatchTestRunner(bench)
    runner.warm_up("flow", max_parallel=2)  # starts two actors, or takes those earlier tests parked
    first = runner.run("flow", [{"label": "a"}, {"label": "b"}], max_parallel=2)
    second = runner.run("flow", [{"label": "c"}, {"label": "d"}], max_parallel=2)
    assert (first.warm_actors, second.warm_actors) == (2, 2)
    assert [v.status for v in first.variants + second.variants] == ["completed"] * 4
    assert RayBatchTestRunner.shutdown() == 2
    cold = RayBatchTestRunner(bench, keep_warm_s=0).run("flow", [{"label": "e"}], max_parallel=1)
    assert cold.warm_actors == 0 and RayBatchTestRunner.shutdown() == 0


def test_node_resources_reach_ray(ray_local: Any, flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws)
    project = WorkflowProject(
        "flow-heavy",
        "./flow.py:graph",
        execution=ExecutionConfig(node_resources={"act": NodeResourceConfig(num_cpus=2, memory="200MB")}),
    )
    result = run_batch(bench, project, [{"label": "a"}, {"label": "b"}])

    assert result.status == "completed"
    assert result.pool_size == 1  # two CPUs per actor on a two-CPU Ray
    for variant in result.variants:
        assert variant.state["resources"] == {"CPU": 2.0, "memory": 200 * 1024**2}


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (NodeResourceConfig(num_cpus=64), r"num_cpus 64 \(asked by node 'act'\)"),
        (NodeResourceConfig(num_cpus=1, memory="64TB"), r"memory 64TB \(asked by node 'act'\)"),
    ],
)
def test_an_impossible_resource_request_fails_fast_and_records_nothing(
    ray_local: Any, flow_ws: Path, make_bench: Any, resources: NodeResourceConfig, message: str
) -> None:
    bench = make_bench(flow_ws)
    project = WorkflowProject(
        "flow-huge", "./flow.py:graph", execution=ExecutionConfig(node_resources={"act": resources})
    )
    with pytest.raises(ResourceUnavailableError, match=message):
        run_batch(bench, project, [{"label": "a"}])
    assert list_batches(bench) == []
    assert bench.list_executions() == []


def test_a_graph_and_an_override_given_as_objects_load_in_the_variant_s_workspace(
    ray_local: Any, flow_ws: Path, make_bench: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pickled by reference to workspace modules, they load only where the workspace's files are.

    The workers' ``sys.path`` does not have this test's workspace: the objects must travel
    as a payload that the worker loads after restoring the variant's files.
    """
    (flow_ws / "helpers.py").write_text("def finish(state):\n    return {'out': 'overridden'}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(flow_ws))
    import flow  # type: ignore[import-not-found]
    import helpers  # type: ignore[import-not-found]

    bench = make_bench(flow_ws)
    project = WorkflowProject("flow-object", flow.graph)
    try:
        result = run_batch(bench, project, [Variant("plain", initial_state={"label": "p"}),
                                            Variant("override", initial_state={"label": "o"},
                                                    node_overrides={"act": helpers.finish})], max_parallel=2)
    finally:
        for name in ("flow", "helpers"):
            sys.modules.pop(name, None)
    assert result.status == "completed", result.table()
    assert result["plain"].state["out"] == "done" and result["override"].state["out"] == "overridden"
    assert result["override"].spec["node_overrides"] == {"act": "helpers:finish"}
