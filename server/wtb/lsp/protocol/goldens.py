"""Params and results of regression and retention: mark golden, list goldens, check, prune
(``wtb.lsp.goldens`` answers them).
"""

from __future__ import annotations

from typing import Any

import attrs

from wtb.lsp.protocol.records import ProgressToken


@attrs.define(kw_only=True)
class GoldenInfo:
    """A known-good completed execution that ``wtb/check`` compares new runs with."""

    name: str
    execution_id: str
    workflow: str
    created_at: float


@attrs.define(kw_only=True)
class MarkGoldenParams:
    """``name`` defaults to the execution's workflow name (one golden per workflow)."""

    execution_id: str
    name: str | None = None


@attrs.define(kw_only=True)
class ListGoldensParams:
    workflow: str | None = None


@attrs.define(kw_only=True)
class ListGoldensResult:
    goldens: list[GoldenInfo]


@attrs.define(kw_only=True)
class CheckParams:
    """Re-run against a golden (by ``golden`` name, else the workflow's) in a worker and compare."""

    workflow: str | None = None
    golden: str | None = None
    initial_state: dict[str, Any] | None = None
    ignore_keys: list[str] | None = None
    ignore_paths: list[str] | None = None
    rel_tolerance: float = 0.0
    abs_tolerance: float = 0.0
    work_done_token: ProgressToken | None = None


@attrs.define(kw_only=True)
class DivergenceInfo:
    """One difference; ``kind``: ``key`` (a state key), ``file`` or ``length`` (number of checkpoints)."""

    step: int
    checkpoint_id: str | None = None
    node: str | None = None
    kind: str
    name: str
    expected: Any = None
    actual: Any = None
    diff: str = ""


@attrs.define(kw_only=True)
class CheckResultInfo:
    """``divergence`` is the first difference (null when passed); ``report`` is readable text."""

    golden: str
    golden_execution_id: str
    execution_id: str
    passed: bool
    checkpoints_compared: int
    divergence: DivergenceInfo | None = None
    differences: list[DivergenceInfo] = attrs.Factory(list)
    report: str = ""


@attrs.define(kw_only=True)
class PruneParams:
    """Delete old executions and the blobs only they used; at least one limit is required."""

    keep_last: int | None = None
    older_than_s: float | None = None
    keep_golden: bool = True
    keep_forks_of_kept: bool = True
    max_storage: str | int | None = None


@attrs.define(kw_only=True)
class PruneResult:
    deleted: list[str] = attrs.Factory(list)
    kept: int = 0
    blobs_removed: int = 0
    bytes_freed: int = 0
