"""Golden runs: an unchanged workflow passes, a changed node fails with the right report (issue 9)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import RAG_INPUT
from wtb.errors import InvalidStateError, NotFoundError
from wtb.regression import CheckRules
from wtb.regression.compare import values_equal

pytest_plugins = ["pytester"]


def _golden(bench) -> str:
    execution = bench.run("rag", RAG_INPUT)
    bench.mark_golden(execution.id)
    return execution.id


def _edit_generate(ws: Path, old: str, new: str) -> None:
    source = ws / "rag.py"
    text = source.read_text()
    assert old in text
    source.write_text(text.replace(old, new))


def test_unchanged_workflow_passes_its_golden_check(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    golden_id = _golden(bench)
    result = bench.check("rag")
    assert result.passed, result.report()
    assert result.checkpoints_compared == 5
    assert result.golden_execution_id == golden_id and result.execution_id != golden_id
    assert "passed" in result.report()
    # The check run says which golden it checked (the editor's marker), whatever its name.
    assert bench.get_execution(result.execution_id).config["golden_check"] == "rag"
    assert "golden_check" not in bench.get_execution(golden_id).config


def test_a_check_of_a_golden_that_was_itself_a_check_runs_with_the_run_config_only(
    sample_ws: Path, make_bench
) -> None:
    bench = make_bench(sample_ws)
    _golden(bench)
    first = bench.check("rag")
    bench.mark_golden(first.execution_id, name="again")
    again = bench.check("again")
    assert again.passed, again.report()
    config = bench.get_execution(again.execution_id).config
    assert config["golden_check"] == "again" and "golden_check" not in config.get("configurable", {})


def test_a_changed_file_output_is_reported_with_checkpoint_node_and_diff(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    _golden(bench)
    _edit_generate(sample_ws, "Sources:", "References:")
    result = bench.check("rag")
    assert not result.passed
    divergence = result.divergence
    assert divergence is not None
    assert (divergence.step, divergence.node, divergence.kind, divergence.name) == (3, "rag_generate", "file",
                                                                                  "out/answer.md")
    assert "-Sources:" in divergence.diff and "+References:" in divergence.diff
    assert "REGRESSION at step 3 (node rag_generate)" in result.report()


def test_a_changed_state_key_is_reported_first(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    _golden(bench)
    _edit_generate(sample_ws, 'answer = " ".join(best.split())', 'answer = " ".join(best.split()).upper()')
    result = bench.check("rag")
    assert result.divergence is not None
    assert (result.divergence.kind, result.divergence.name, result.divergence.node) == ("key", "answer",
                                                                                        "rag_generate")
    assert "QUARTERLY REVENUE" in result.divergence.diff
    relaxed = bench.check("rag", rules=CheckRules(ignore_keys=["answer"], ignore_paths=["out/*"]))
    assert relaxed.passed, relaxed.report()


def test_numeric_tolerance_and_custom_comparator() -> None:
    assert values_equal({"score": [1.0, 2.0]}, {"score": [1.0005, 2.0]}, rel=1e-3, abs_=0)
    assert not values_equal({"score": 1.0}, {"score": 1.1}, rel=1e-3, abs_=0)
    rules = CheckRules(comparator=lambda key, old, new: key == "ts" or old == new)
    assert rules.equal("ts", 1, 2) and not rules.equal("n", 1, 2)


def test_golden_errors(sample_ws: Path, make_bench) -> None:
    bench = make_bench(sample_ws)
    with pytest.raises(NotFoundError, match="No golden run named 'rag'"):
        bench.check("rag")
    paused = bench.create_execution("rag", RAG_INPUT)
    with pytest.raises(InvalidStateError, match="only a completed run can be golden"):
        bench.mark_golden(paused.id)


def test_wtb_check_exit_code_json_and_junit(sample_ws: Path, make_bench, tmp_path: Path) -> None:
    bench = make_bench(sample_ws)
    _golden(bench)
    bench.close()
    ws = ["--workspace", str(sample_ws)]
    ok = subprocess.run([sys.executable, "-m", "wtb", "check", *ws, "--json"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)[0]["passed"] is True
    _edit_generate(sample_ws, "Sources:", "References:")
    junit = tmp_path / "wtb.xml"
    bad = subprocess.run([sys.executable, "-m", "wtb", "check", "rag", *ws, "--junit", str(junit)],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "REGRESSION at step 3" in bad.stdout
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == "1" and suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and "out/answer.md" in (failure.get("message") or "")


def test_pytest_plugin_asserts_against_the_golden(sample_ws: Path, make_bench, pytester: pytest.Pytester) -> None:
    bench = make_bench(sample_ws)
    _golden(bench)
    bench.close()
    pytester.makeini(f"[pytest]\nwtb_workspace = {sample_ws}\n")
    pytester.makepyfile(
        test_flow="""
        def test_rag_matches(wtb_check):
            wtb_check("rag")

        def test_bench_fixture(wtb_bench):
            assert [g.name for g in wtb_bench.list_goldens()] == ["rag"]
        """
    )
    assert pytester.runpytest_subprocess("-p", "no:cacheprovider").ret == 0
    _edit_generate(sample_ws, "Sources:", "References:")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*REGRESSION at step 3 (node rag_generate)*", "*+References:*"])


def test_a_golden_that_was_paused_and_resumed_still_lines_up(sample_ws: Path, make_bench) -> None:
    from wtb import PauseStrategyConfig

    bench = make_bench(sample_ws)
    paused = bench.run("rag", RAG_INPUT, pause=PauseStrategyConfig(before=["rag_generate"]))
    bench.resume(paused.id)
    bench.mark_golden(paused.id)
    result = bench.check("rag")
    assert result.passed, result.report()
