"""The batch driver without Ray (``backend="local"``): validation, merging, isolation, failures."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from wtb.batch import Variant, files, list_batches, run_batch
from wtb.batch.bundle import VariantBundle
from wtb.batch.errors import InvalidVariantError
from wtb.batch.merge import merge_bundle
from wtb.batch.runner import RayBatchTestRunner
from wtb.batch.task import VariantTask
from wtb.batch.worker import run_variant
from wtb.config import FileTrackingConfig
from wtb.errors import NonSerializableStateError, UnknownProjectError
from wtb.models import ExecutionStatus


def test_variants_writing_the_same_path_keep_their_own_contents(flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws)
    result = run_batch(bench, "flow", [{"label": "left"}, {"label": "right"}], backend="local")
    assert result.status == "completed"
    left, right = result.variants
    assert bench.read_file(left.execution_id, None, "out/result.txt") == b"done left\n"
    assert bench.read_file(right.execution_id, None, "out/result.txt") == b"done right\n"
    first = next(c for c in bench.get_checkpoints(left.execution_id) if "prepare" in c.writes)
    assert bench.read_file(left.execution_id, first.id, "out/result.txt") == b"prepared left\n"
    assert result.comparison.files == {"out/result.txt": {"v1": left.files["out/result.txt"],
                                                          "v2": right.files["out/result.txt"]}}
    assert not (flow_ws / "out").exists()


def test_an_unknown_override_fails_that_variant_with_the_reason(rag_ws: Path, make_bench: Any) -> None:
    bench = make_bench(rag_ws)
    state = {"query": "q"}
    variants = [
        {"name": "bad", "initial_state": state, "node_overrides": {"nope": "retrievers.py:always_sqlite"}},
        {"name": "missing", "initial_state": state, "node_overrides": {"rag_retrieve": "retrievers.py:nah"}},
        {"name": "good", "initial_state": state, "node_overrides": {"rag_retrieve": "retrievers.py:always_sqlite"}},
    ]
    result = run_batch(bench, "rag", variants, backend="local")
    assert result["bad"].status == "failed" and "no such node" in (result["bad"].reason or "")
    assert "rag_retrieve" in (result["bad"].reason or "")
    assert result["missing"].status == "failed" and "has no attribute 'nah'" in (result["missing"].reason or "")
    assert result["good"].status == "completed" and result["good"].state["retrieved"] == ["sqlite.txt"]
    assert bench.get_execution(result["bad"].execution_id).status is ExecutionStatus.FAILED


def test_bad_batches_are_refused_before_anything_is_recorded(rag_ws: Path, make_bench: Any) -> None:
    bench = make_bench(rag_ws)
    source = bench.run("rag", {"query": "q"})
    with pytest.raises(InvalidVariantError, match="state_updates, which apply only"):
        run_batch(bench, "rag", [{"state_updates": {"query": "x"}}], backend="local")
    with pytest.raises(InvalidVariantError, match="use state_updates"):
        run_batch(bench, "rag", [{"initial_state": {"query": "x"}}], from_checkpoint=source.id, backend="local")
    with pytest.raises(NonSerializableStateError, match="'query'"):
        run_batch(bench, "rag", [{"initial_state": {"query": object()}}], backend="local")
    with pytest.raises(InvalidVariantError, match="max_parallel"):
        run_batch(bench, "rag", [{"query": "x"}], max_parallel=0, backend="local")
    with pytest.raises(UnknownProjectError):
        run_batch(bench, "nope", [{"query": "x"}], backend="local")
    with pytest.raises(InvalidVariantError, match="isolated"):
        RayBatchTestRunner(bench, workspace="shared", backend="local").run("rag", [{}], from_checkpoint=source.id)
    with pytest.raises(InvalidVariantError, match="from_checkpoint must be"):
        run_batch(bench, "rag", [{}], from_checkpoint=42, backend="local")  # type: ignore[arg-type]
    assert [e.id for e in bench.list_executions()] == [source.id]


def test_from_the_head_of_an_execution_given_as_text(rag_ws: Path, make_bench: Any) -> None:
    bench = make_bench(rag_ws)
    source = bench.run("rag", {"query": "What is Ray?", "top_k": 1})
    result = run_batch(bench, "rag", [{"state_updates": {"top_k": 3}}], from_checkpoint=source.id, backend="local")
    variant = result.variants[0]
    assert variant.status == "completed" and variant.state["top_k"] == 3
    assert bench.get_execution(variant.execution_id).parent_checkpoint_id == source.head_checkpoint_id


def test_merging_a_bundle_twice_changes_nothing(flow_ws: Path, make_bench: Any, tmp_path: Path) -> None:
    bench = make_bench(flow_ws)
    project = bench.get_project("flow")
    snapshot, base = files.workspace_bundle(bench.services, project)
    task = VariantTask("b", "exec0000001", Variant("y", initial_state={"label": "y"}), project,
                       base_snapshot=snapshot, file_tracking=FileTrackingConfig(watch=False))
    bundle = VariantBundle.unpack(run_variant(task, base, tmp_path / "scratch"))
    assert bundle.files and bundle.checkpoints
    merge_bundle(bench.services, bundle)
    counts = _row_counts(bench.data_dir)
    merge_bundle(bench.services, bundle)
    assert _row_counts(bench.data_dir) == counts
    assert bench.get_execution("exec0000001").status is ExecutionStatus.COMPLETED
    assert not list((tmp_path / "scratch").iterdir())  # the worker's directory is gone


def test_a_bench_without_file_tracking_still_runs_batches(flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws, file_tracking=FileTrackingConfig(enabled=False))
    result = run_batch(bench, "flow", [{"label": "a"}, {"label": "b"}], backend="local")
    assert result.status == "completed"
    assert [v.state["out"] for v in result.variants] == ["done", "done"]
    assert all(v.files == {} for v in result.variants)
    assert result.comparison.files == {}


def _row_counts(data_dir: Path) -> tuple[int, ...]:
    with sqlite3.connect(data_dir / "wtb.db") as conn:
        executions = conn.execute("SELECT COUNT(*) FROM executions").fetchone()[0]
    with sqlite3.connect(data_dir / "wtb_checkpoints.db") as conn:
        checkpoints = conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0]
        writes = conn.execute("SELECT COUNT(*) FROM writes").fetchone()[0]
    with sqlite3.connect(data_dir / ".filetrack" / "filetrack.db") as conn:
        links = conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0]
    return executions, checkpoints, writes, links


def test_an_interrupted_driver_records_the_batch_as_cancelled(flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws)

    def interrupt(event: dict[str, Any]) -> None:
        if event.get("status") == "completed" and event["type"] == "variant":
            raise KeyboardInterrupt  # what Ctrl-C in `wtb batch` raises in the driver's thread

    with pytest.raises(KeyboardInterrupt):
        run_batch(bench, "flow", [{"label": "a"}, {"label": "b"}, {"label": "c"}], backend="local",
                  on_progress=interrupt)
    (record,) = list_batches(bench)
    assert record.status == "cancelled" and record.result is not None
    statuses = sorted(e.status.value for e in bench.list_executions(batch_id=record.id))
    assert statuses == ["cancelled", "cancelled", "completed"]


def _first_two(state: dict[str, Any]) -> dict[str, Any]:
    return {"retrieved": ["ray.txt", "sqlite.txt"]}


def test_a_callable_override_and_a_shared_workspace(rag_ws: Path, flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(rag_ws)
    result = run_batch(bench, "rag", [Variant("c", initial_state={"query": "q"},
                                              node_overrides={"rag_retrieve": _first_two})], backend="local")
    assert result["c"].state["retrieved"] == ["ray.txt", "sqlite.txt"]
    assert result["c"].spec["node_overrides"]["rag_retrieve"].endswith(":_first_two")

    shared = make_bench(flow_ws)
    runner = RayBatchTestRunner(shared, workspace="shared", backend="local")
    outcome = runner.run("flow", [{"label": "here"}])
    assert outcome.status == "completed"
    assert (flow_ws / "out" / "result.txt").read_text() == "done here\n"  # the bench's own workspace
    assert shared.read_file(outcome.variants[0].execution_id, None, "out/result.txt") == b"done here\n"


def test_importing_the_batch_package_and_its_cli_does_not_import_ray_or_langgraph() -> None:
    import subprocess
    import sys

    code = ("import sys, wtb.batch, wtb.batch.cli; from wtb.batch import matrix; "
            "print(sorted(m for m in ('ray', 'langgraph') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
