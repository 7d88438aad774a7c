"""WTB's pytest plugin (entry point ``pytest11``): golden-run checks inside a test suite.

``wtb_bench`` opens a bench on the test run's root directory (or the ``wtb_workspace`` ini
option) and its data dir, where the golden runs live. ``wtb_check(golden, **rules)``
re-runs a golden and fails the test with the report — the first diverging checkpoint,
node, key or file, and its diff — when anything differs.

    def test_rag_still_matches(wtb_check):
        wtb_check("rag", ignore_keys=["timestamp"])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("wtb_workspace", "workspace whose .wtb data dir holds the golden runs", default="")
    parser.addini("wtb_data_dir", "data directory (default <workspace>/.wtb)", default="")


@pytest.fixture
def wtb_bench(request: pytest.FixtureRequest) -> Iterator[Any]:
    from wtb.sdk.bench import WTBTestBench

    root = Path(str(request.config.rootpath))
    workspace = request.config.getini("wtb_workspace") or str(root)
    data_dir = request.config.getini("wtb_data_dir") or None
    with WTBTestBench.create(workspace=(root / workspace).resolve(), data_dir=data_dir) as bench:
        yield bench


@pytest.fixture
def wtb_check(wtb_bench: Any) -> Callable[..., Any]:
    def check(golden: str, initial_state: dict[str, Any] | None = None, **rules: Any) -> Any:
        return assert_matches_golden(wtb_bench, golden, initial_state, **rules)

    return check


def assert_matches_golden(bench: Any, golden: str, initial_state: dict[str, Any] | None = None, **rules: Any) -> Any:
    """Run the golden's workflow again; raise ``AssertionError`` with the report on a regression."""
    from wtb.regression import CheckRules

    result = bench.check(golden=golden, initial_state=initial_state, rules=CheckRules(**rules))
    if not result.passed:
        raise AssertionError(result.report())
    return result
