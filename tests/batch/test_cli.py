"""``wtb batch``, ``wtb batches``, ``wtb batch-show``, ``wtb batch-cancel`` through a parser like wtb's."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import pytest

from wtb.batch.cli import ProgressBar, add_commands
from wtb.batch.errors import BatchStateError, UnknownBatchError


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", default=".")
    common.add_argument("--data-dir", default=None)
    common.add_argument("--json", action="store_true")
    parser = argparse.ArgumentParser(prog="wtb")
    add_commands(parser.add_subparsers(dest="command", required=True), common)
    return parser


def _call(bench: Any, *argv: str) -> Any:
    args = _parser().parse_args(list(argv))
    return args.handler(bench, args)


@pytest.mark.ray
def test_batch_then_batches_then_batch_show(ray_local: Any, rag_ws: Path, make_bench: Any, tmp_path: Path) -> None:
    bench = make_bench(rag_ws)
    file = tmp_path / "variants.json"
    file.write_text(json.dumps({"matrix": {"states": {"ray": {"query": "What is Ray?"},
                                                      "sql": {"query": "Is SQLite a server?"}},
                                           "configs": [{"top_k": 1}]}}), encoding="utf-8")
    table = _call(bench, "batch", "rag", "--variants", str(file), "--parallel", "2")
    assert "completed" in table and "out/answer.md" in table and "answer" in table
    listed = _call(bench, "batches", "--json")
    assert len(listed) == 1 and listed[0]["status"] == "completed" and listed[0]["counts"] == {"completed": 2}
    batch_id = listed[0]["id"]
    assert batch_id in _call(bench, "batches")
    shown = _call(bench, "batch-show", batch_id[:6], "--json")
    assert [v["name"] for v in shown["variants"]] == ["ray", "sql"]
    assert "out/answer.md" in shown["comparison"]["files"]
    assert _call(bench, "batch-show", batch_id).splitlines()[0].startswith(f"Batch {batch_id}")
    with pytest.raises(BatchStateError, match="already completed"):
        _call(bench, "batch-cancel", batch_id)
    with pytest.raises(UnknownBatchError):
        _call(bench, "batch-show", "zzzz")


def test_batch_needs_a_variants_file(rag_ws: Path, make_bench: Any) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["batch", "rag"])
    from wtb.batch.errors import InvalidVariantError

    with pytest.raises(InvalidVariantError, match="does not exist"):
        _call(make_bench(rag_ws), "batch", "rag", "--variants", "missing.json")


def test_progress_bar_draws_one_line() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, width=10)
    bar({"type": "variant", "done": 3, "total": 6, "message": "[3/6] b completed"})
    bar.close()
    assert out.getvalue().startswith("\r[#####.....] 3/6") and out.getvalue().endswith("\n")
