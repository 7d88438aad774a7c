"""The driver's answer to lost nodes: run the variant again, a bounded number of times, never hang.

Losing a node needs a cluster (``test_cluster.py`` kills a real one under a variant). Here
the variants run for real, in this process, on a :class:`LocalPool` that reports a lost
node for chosen attempts, so the bounds (``max_retries``, a pool with no actor left) are
checked quickly and exactly; the driver, the bench and the merges are the real ones.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from wtb.batch.driver import BatchDriver
from wtb.batch.pool import LocalPool, Outcome
from wtb.batch.runner import RayBatchTestRunner
from wtb.batch.settings import merge_runtime_env, workspace_settings
from wtb.batch.variants import coerce_variants
from wtb.models import ExecutionError, ExecutionStatus


class LosingPool(LocalPool):
    """Loses the node under a variant's first ``losses[name]`` attempts; ``starve`` after the first loss."""

    def __init__(self, base: bytes | None, losses: dict[str, int], starve: bool = False) -> None:
        super().__init__(base)
        self.losses = dict(losses)
        self.starve = starve
        self.lost = 0

    def idle(self) -> int:
        return 0 if self.starve and self.lost else super().idle()

    def starved(self) -> str | None:
        return "No alive node can run a worker." if self.starve and self.lost else None

    def wait(self, timeout_s: float) -> list[Outcome]:
        if self._queued and self.losses.get(self._queued[0][0].variant.name, 0) > 0:
            task, started = self._queued.pop(0)
            self.losses[task.variant.name] -= 1
            self.lost += 1
            error = ExecutionError(None, "NodeLost", f"Variant {task.variant.name!r} stopped: its node was lost")
            return [Outcome(task, started, error=error, node_lost=True, worker={"node_id": f"node{self.lost}"})]
        return super().wait(timeout_s)


def _drive(bench: Any, variants: list[dict[str, Any]], pool_of: Any, max_retries: int = 2,
           events: list[dict[str, Any]] | None = None) -> Any:
    runner = RayBatchTestRunner(bench, backend="local")
    plan = runner._plan("b" + str(len(variants)), bench.get_project("flow"), coerce_variants(variants), None)
    plan.max_retries = max_retries
    sink = events.append if events is not None else None
    return BatchDriver(bench.services, plan, pool_of(plan.base_files), 1, threading.Event(), sink).run()


def test_a_variant_that_lost_its_node_runs_again_and_records_its_attempts(flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws)
    events: list[dict[str, Any]] = []
    result = _drive(bench, [{"name": "a", "initial_state": {"label": "a"}}, {"name": "b", "initial_state": {}}],
                    lambda base: LosingPool(base, {"a": 2}), events=events)

    assert result.status == "completed", result.table()
    a = result["a"]
    assert a.status == "completed" and a.attempts == 3 and len(a.lost) == 2 and "its node was lost" in a.lost[0]
    assert result["b"].attempts == 1 and result["b"].lost == []
    assert bench.read_file(a.execution_id, None, "out/result.txt") == b"done a\n"
    retrying = [e for e in events if e.get("status") == "retrying"]
    assert [e["variant"] for e in retrying] == ["a", "a"] and "attempt 3 of 3" in retrying[-1]["message"]
    assert "try 3" in result.table()


def test_retries_are_bounded_then_the_variant_fails_with_the_reason(flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws)
    result = _drive(bench, [{"name": "unlucky", "initial_state": {}}, {"name": "fine", "initial_state": {}}],
                    lambda base: LosingPool(base, {"unlucky": 5}), max_retries=1)

    assert result.status == "failed"
    unlucky = result["unlucky"]
    assert unlucky.status == "failed" and unlucky.attempts == 2 and unlucky.node_id == "node2"
    assert unlucky.error is not None and unlucky.error.type == "NodeLost"
    assert "lost its node 2 times; max_retries=1" in (unlucky.reason or "")
    execution = bench.get_execution(unlucky.execution_id)
    assert execution.status is ExecutionStatus.FAILED and execution.error is not None
    assert result["fine"].status == "completed"


def test_a_batch_with_no_worker_left_ends_instead_of_waiting(flow_ws: Path, make_bench: Any) -> None:
    bench = make_bench(flow_ws)
    variants = [{"name": name, "initial_state": {}} for name in ("first", "second", "third")]
    result = _drive(bench, variants, lambda base: LosingPool(base, {"first": 1}, starve=True))

    assert result.status == "failed"
    for variant in result.variants:
        assert variant.status == "failed" and variant.error is not None and variant.error.type == "NoWorker"
        assert bench.get_execution(variant.execution_id).status is ExecutionStatus.FAILED
    assert result["first"].lost and result["second"].lost == []


def test_workspace_settings_merge_under_the_project_s_own(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.wtb.batch]\naddress = "ray://head:10001"\nmax_retries = 3\n'
        'runtime_env = { pip = ["a==1"], env_vars = { A = "1", B = "1" } }\n'
        '[tool.wtb.workflows.rag]\ngraph = "rag.py:graph"\n'
        'runtime_env = { pip = ["b==2"], env_vars = { B = "2" } }\n',
        encoding="utf-8",
    )
    settings = workspace_settings(tmp_path, "rag")
    assert settings.address == "ray://head:10001" and settings.max_retries == 3
    assert settings.runtime_env == {"pip": ["a==1", "b==2"], "env_vars": {"A": "1", "B": "2"}}
    assert workspace_settings(tmp_path, "other").runtime_env == {"pip": ["a==1"], "env_vars": {"A": "1", "B": "1"}}
    merged = merge_runtime_env(settings.runtime_env, {"env_vars": {"C": 3}, "pip": ["a==1"], "working_dir": "."})
    assert merged == {"pip": ["a==1", "b==2"], "env_vars": {"A": "1", "B": "2", "C": "3"}, "working_dir": "."}
    assert workspace_settings(tmp_path / "nowhere", "rag").runtime_env == {}
