"""``bench.check``: re-run a workflow with its golden run's input and compare the two."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wtb.engine import inspection, runs
from wtb.engine.services import Services
from wtb.models import Checkpoint
from wtb.regression.compare import CheckResult, CheckRules, Divergence, compare_files, compare_states
from wtb.store.goldens import Golden

#: The golden's run config a check runs with (not WTB's own keys: its pause points, the golden it checked).
_RUN_CONFIG = ("configurable", "recursion_limit", "context")


def run_check(
    services: Services,
    golden: Golden,
    initial_state: Mapping[str, Any] | None,
    rules: CheckRules,
) -> CheckResult:
    reference = inspection.get_execution(services, golden.execution_id)
    if initial_state is None:
        stored = services.executions.initial_state(reference.id)
        initial_state = services.saver.serde.loads_typed(stored) if stored else {}
    run_options = {key: value for key, value in reference.config.items() if key in _RUN_CONFIG}
    pending = runs.create_execution(
        services, golden.project, initial_state, config=run_options or None, name=f"check:{golden.name}",
        golden_check=golden.name,
    )
    new = runs.run_execution(services, pending.id, prepare=_golden_start(services, main_line(services, reference.id)))
    return compare_executions(services, golden, reference.id, new.id, rules)


def _golden_start(services: Services, line: list[Checkpoint]) -> Callable[[Path], None]:
    """Put back, in the check's own directory, the golden run's outputs as they were at its start.

    The check runs isolated on the workspace as it is now (today's code and inputs), except
    for the files the golden run wrote: those start as they were when the golden started, so
    both runs write the same files from the same beginning and their steps compare.
    """
    start = line[0].snapshot_id if line else None
    written = {path for checkpoint in line for path in checkpoint.output_files}
    tracker = services.tracker_or_fail()
    before = tracker.files(start) if start else {}

    def prepare(directory: Path) -> None:
        for path in sorted(written):
            target = directory / path
            if start and path in before and before[path].kind == "file":
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tracker.read_file(start, path))
            elif target.is_file() or target.is_symlink():
                target.unlink()

    return prepare


def compare_executions(
    services: Services, golden: Golden, expected_id: str, actual_id: str, rules: CheckRules
) -> CheckResult:
    expected_line, actual_line = steps_of(main_line(services, expected_id)), steps_of(main_line(services, actual_id))
    differences: list[Divergence] = []
    for old, new in zip(expected_line, actual_line, strict=False):
        expected = inspection.get_state(services, expected_id, old.id)
        differences += compare_states(old, expected, inspection.get_state(services, actual_id, new.id), rules)

        def read(side: str, path: str, old: Checkpoint = old, new: Checkpoint = new) -> bytes | None:
            execution, checkpoint = (expected_id, old.id) if side == "expected" else (actual_id, new.id)
            try:
                return inspection.read_file(services, execution, checkpoint, path)
            except Exception:
                return None

        differences += compare_files(old, old.output_files, new.output_files, rules, read)
    if len(expected_line) != len(actual_line):
        shorter = min(len(expected_line), len(actual_line))
        at = (expected_line + actual_line)[shorter] if shorter < len(expected_line) else actual_line[shorter]
        differences.append(Divergence(
            at.step, at.id, None, "length", "checkpoints", len(expected_line), len(actual_line),
            f"golden has {len(expected_line)} checkpoints, the new run {len(actual_line)}",
        ))
    return CheckResult(
        golden=golden.name,
        golden_execution_id=expected_id,
        execution_id=actual_id,
        passed=not differences,
        checkpoints_compared=min(len(expected_line), len(actual_line)),
        divergence=differences[0] if differences else None,
        differences=differences,
    )


def steps_of(line: list[Checkpoint]) -> list[Checkpoint]:
    """The checkpoints a run makes by itself (input and node steps).

    A pause resumed, a state edit or a fork adds checkpoints (sources ``fork``/``update``)
    that a straight re-run does not have; what they changed shows in the next step anyway.
    """
    return [checkpoint for checkpoint in line if checkpoint.source in ("input", "loop")]


def main_line(services: Services, execution_id: str) -> list[Checkpoint]:
    """The checkpoints from the first to the head, oldest first (other branches left out)."""
    checkpoints = {c.id: c for c in inspection.get_checkpoints(services, execution_id)}
    head = inspection.get_execution(services, execution_id).head_checkpoint_id
    line = []
    while head in checkpoints:
        line.append(checkpoints[head])
        head = checkpoints[head].parent_id
    return line[::-1]
