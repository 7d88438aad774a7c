"""The comparison and its renderings (pure, no Ray)."""

from __future__ import annotations

import json

from wtb.batch.result import BatchResult, VariantResult, compare
from wtb.models import ExecutionError


def _results() -> list[VariantResult]:
    return [
        VariantResult("a", "e1", "completed", state={"q": "x", "answer": "one", "n": 4},
                      files={"out/answer.md": "h1", "index/v.json": "hv"}, node_timings={"gen": 0.5}),
        VariantResult("b", "e2", "completed", state={"q": "y", "answer": "two", "n": 4, "extra": [1]},
                      files={"out/answer.md": "h2", "index/v.json": "hv", "tmp.txt": None}),
        VariantResult("c", "e3", "failed", state={}, error=ExecutionError("gen", "RuntimeError", "boom\nmore")),
    ]


def test_compare_names_differing_keys_and_files_among_finished_variants() -> None:
    comparison = compare(_results(), base_files={"tmp.txt": "htmp"})
    assert comparison.variants == ["a", "b"]
    assert comparison.state == {
        "answer": {"a": "one", "b": "two"},
        "extra": {"a": None, "b": [1]},
        "q": {"a": "x", "b": "y"},
    }
    assert comparison.same_state == ["n"]
    # A path a variant did not touch counts with its hash at the start (tmp.txt: kept by a, deleted by b).
    assert comparison.files == {"out/answer.md": {"a": "h1", "b": "h2"}, "tmp.txt": {"a": "htmp", "b": None}}
    assert comparison.same_files == ["index/v.json"]


class _ArrayLike:
    """Like a numpy array: ``==`` raises instead of answering (truth value is ambiguous)."""

    def __init__(self, values: list[int]) -> None:
        self.values = values

    def __eq__(self, other: object) -> bool:
        raise ValueError("The truth value of an array with more than one element is ambiguous.")

    def __repr__(self) -> str:
        return f"array({self.values})"


def test_values_whose_equality_raises_are_compared_by_their_json() -> None:
    results = [VariantResult("a", "1", "completed", state={"v": _ArrayLike([1, 2])}),
               VariantResult("b", "2", "completed", state={"v": _ArrayLike([1, 2])}),
               VariantResult("c", "3", "completed", state={"v": _ArrayLike([3])})]
    comparison = compare(results, {})
    assert list(comparison.state) == ["v"]
    assert compare(results[:2], {}).same_state == ["v"]


def test_table_json_and_round_trip() -> None:
    results = _results()
    base = {"tmp.txt": "htmp"}
    result = BatchResult("b1", "rag", "failed", results, 100.0, 103.5, pool_size=2, base_files=base)
    result.comparison = compare(results, base)
    table = result.table()
    assert "Batch b1  rag  failed" in table
    assert "RuntimeError in node 'gen': boom" in table
    assert "out/answer.md" in table and "(deleted)" in table
    assert "State keys that differ:" in table and "Same in all: n" in table
    assert "Node timings:" in table and "0.50s" in table
    data = json.loads(result.to_json())
    assert data["counts"] == {"completed": 2, "failed": 1} and data["duration_s"] == 3.5
    again = BatchResult.from_dict(data)
    assert again.table() == table
    assert again["c"].error == results[2].error


def test_a_batch_with_nothing_finished_renders() -> None:
    result = BatchResult("b2", "rag", "cancelled", [VariantResult("a", "1", "cancelled")], 1.0, 2.0)
    assert "Batch b2" in result.table() and "State keys" not in result.table()
