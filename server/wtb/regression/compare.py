"""Comparing a run with its golden run, checkpoint by checkpoint, state and files.

The two main lines (head back to the first checkpoint, oldest first) are walked in step;
the first checkpoint where a state key or a file the step wrote differs — beyond what the
rules allow — is the divergence the report names, with a diff a person can read.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wtb.models import Checkpoint

Comparator = Callable[[str, Any, Any], bool]


@dataclass(frozen=True)
class CheckRules:
    """What may differ: ignored state keys and file globs, a numeric tolerance, a custom comparator.

    ``comparator(key, expected, actual)`` returns True when the values count as equal.
    """

    ignore_keys: tuple[str, ...] | list[str] = ()
    ignore_paths: tuple[str, ...] | list[str] = ()
    rel_tolerance: float = 0.0
    abs_tolerance: float = 0.0
    comparator: Comparator | None = None

    def key_ignored(self, key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.ignore_keys)

    def path_ignored(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.ignore_paths)

    def equal(self, key: str, expected: Any, actual: Any) -> bool:
        if self.comparator is not None:
            return self.comparator(key, expected, actual)
        return values_equal(expected, actual, self.rel_tolerance, self.abs_tolerance)


@dataclass
class Divergence:
    """Where a run first left its golden run."""

    step: int
    checkpoint_id: str | None
    node: str | None
    kind: str  # "key", "file" or "length"
    name: str
    expected: Any
    actual: Any
    diff: str


@dataclass
class CheckResult:
    golden: str
    golden_execution_id: str
    execution_id: str
    passed: bool
    checkpoints_compared: int
    divergence: Divergence | None = None
    differences: list[Divergence] = field(default_factory=list)

    def report(self) -> str:
        """A multi-line, human report (the pytest plugin puts it in the failure message)."""
        if self.passed:
            return f"golden {self.golden!r}: passed ({self.checkpoints_compared} checkpoints match)"
        d = self.divergence
        assert d is not None
        lines = [
            f"golden {self.golden!r}: REGRESSION at step {d.step} (node {d.node or '-'}), "
            f"{d.kind} {d.name!r} differs",
            f"  golden execution {self.golden_execution_id}, new execution {self.execution_id}",
        ]
        lines += ["  " + line for line in d.diff.splitlines()]
        if len(self.differences) > 1:
            lines.append(f"  … and {len(self.differences) - 1} more difference(s) after it")
        return "\n".join(lines)


def values_equal(expected: Any, actual: Any, rel: float, abs_: float) -> bool:
    """Equality with a tolerance for numbers, applied inside lists and dicts too."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected == actual)
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual, rel_tol=rel, abs_tol=abs_)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            values_equal(expected[k], actual[k], rel, abs_) for k in expected
        )
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(
            values_equal(a, b, rel, abs_) for a, b in zip(expected, actual, strict=True)
        )
    return bool(expected == actual)


def compare_states(
    step: Checkpoint, expected: dict[str, Any], actual: dict[str, Any], rules: CheckRules
) -> list[Divergence]:
    found = []
    for key in sorted(expected.keys() | actual.keys()):
        if key == "_output_files" or rules.key_ignored(key):
            continue
        old, new = expected.get(key, "<absent>"), actual.get(key, "<absent>")
        if not rules.equal(key, old, new):
            found.append(Divergence(step.step, step.id, node_of(step), "key", key, old, new, text_diff(old, new)))
    return found


def compare_files(
    step: Checkpoint,
    expected: dict[str, str | None],
    actual: dict[str, str | None],
    rules: CheckRules,
    read: Callable[[str, str], bytes | None],
) -> list[Divergence]:
    """Files the step wrote (``_output_files``): same paths, same content hashes."""
    found = []
    for path in sorted(expected.keys() | actual.keys()):
        if rules.path_ignored(path) or expected.get(path, "<absent>") == actual.get(path, "<absent>"):
            continue
        old_bytes = read("expected", path) if expected.get(path) else None
        new_bytes = read("actual", path) if actual.get(path) else None
        diff = file_diff(path, old_bytes, new_bytes)
        found.append(Divergence(step.step, step.id, node_of(step), "file", path, expected.get(path),
                                actual.get(path), diff))
    return found


def node_of(step: Checkpoint) -> str | None:
    return next(iter(step.writes), None)


def text_diff(expected: Any, actual: Any) -> str:
    old = json.dumps(expected, indent=1, sort_keys=True, default=repr).splitlines()
    new = json.dumps(actual, indent=1, sort_keys=True, default=repr).splitlines()
    return "\n".join(difflib.unified_diff(old, new, "golden", "now", lineterm=""))


def file_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    if old is None or new is None:
        return f"{path}: {'created' if old is None else 'deleted'} (golden {'absent' if old is None else 'present'})"
    try:
        old_text, new_text = old.decode().splitlines(), new.decode().splitlines()
    except UnicodeDecodeError:
        return f"{path}: binary content differs ({len(old)} → {len(new)} bytes)"
    return "\n".join(difflib.unified_diff(old_text, new_text, f"golden/{path}", f"now/{path}", lineterm=""))
