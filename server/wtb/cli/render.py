"""What the CLI prints for people: tables, one record as ``key  value``, the execution tree,
and differences as a unified diff (``--json`` prints the SDK's records instead)."""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from wtb.models import Checkpoint, DiffResult, Execution

#: State keys that WTB adds for its own use; the files have their own part of a diff.
INTERNAL_KEYS = ("_output_files",)


#: What a terminal must not be given raw: C0/C1 control characters (a name can hold an ESC
#: sequence that recolours, retitles or rewrites the screen, or a newline that fakes a row)
#: and the lone surrogates a file name that is not UTF-8 decodes to.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with what a terminal must not get raw written as escapes (``\\x1b``, ``\\n``,
    ``\\xff`` for an undecodable byte), as git quotes such paths. Names come from the
    workspace and its workflows, which may come from anywhere."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return match.group().encode("unicode_escape").decode("ascii")


def short(identifier: str | None) -> str:
    """An id as the editor shows it: the first 8 characters, or for a checkpoint id (a UUID,
    whose first characters its run shares) the last 8 hex digits."""
    if not identifier:
        return "-"
    return identifier.replace("-", "")[-8:] if "-" in identifier else identifier[:8]


def human(data: Any) -> str:
    """A readable rendering: tables for lists of records, key: value for one record."""
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        return table(data)
    if isinstance(data, list):
        return "(none)" if not data else "\n".join(map(str, data))
    if isinstance(data, dict) and data and all(isinstance(v, dict) and "path" in v for v in data.values()):
        return table(list(data.values()))
    if isinstance(data, dict):
        width = max((len(k) for k in data), default=0)
        return "\n".join(f"{k.ljust(width)}  {cell(v, 100)}" for k, v in data.items())
    return str(data)


_PREFERRED = ("id", "name", "project", "status", "step", "source", "path", "kind", "size", "next", "created_at")


def table(rows: list[dict[str, Any]]) -> str:
    columns = [c for c in _PREFERRED if c in rows[0]] or list(rows[0])[:6]
    if "writes" in rows[0]:
        columns.insert(columns.index("step") + 1 if "step" in columns else 0, "writes")
    cells = [[cell(row.get(c) if c != "writes" else ",".join(row.get("writes") or {}), 40) for c in columns]
             for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def cell(value: Any, limit: int) -> str:
    if isinstance(value, float) and value > 1e9:
        value = when(value)
    text = printable(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


# -- the execution tree ----------------------------------------------------------------

Checkpoints = Callable[[str], list[Checkpoint]]


def tree(roots: list[Any], checkpoints: Checkpoints) -> str:
    """Executions with their root-graph checkpoints oldest first; a fork hangs under the
    checkpoint it was forked from (under its execution's last line when that checkpoint is
    not one of them, e.g. a step inside a subgraph)."""
    if not roots:
        return "(no executions)"
    lines: list[str] = []
    for index, node in enumerate(roots):
        if index:
            lines.append("")
        lines += _execution_lines(node, checkpoints, "")
    return "\n".join(lines)


def _execution_lines(node: Any, checkpoints: Checkpoints, indent: str) -> list[str]:
    execution: Execution = node.execution
    lines = [indent + _execution_label(execution)]
    steps = list(reversed(checkpoints(execution.id)))
    known = {c.id for c in steps}
    forks: dict[str, list[Any]] = {}
    for child in node.children:
        at = child.execution.parent_checkpoint_id
        forks.setdefault(at if at in known else "", []).append(child)
    items: list[tuple[str, Any]] = [("checkpoint", c) for c in steps] + [("fork", f) for f in forks.get("", [])]
    for position, (kind, item) in enumerate(items):
        last = position == len(items) - 1
        branch, below = ("└── ", "    ") if last else ("├── ", "│   ")
        if kind == "fork":
            lines += _fork_lines(item, checkpoints, indent + branch, indent + below)
            continue
        lines.append(indent + branch + _checkpoint_label(item, execution))
        children = forks.get(item.id, [])
        for number, child in enumerate(children):
            end = number == len(children) - 1
            lines += _fork_lines(child, checkpoints, indent + below + ("└── " if end else "├── "),
                                 indent + below + ("    " if end else "│   "))
    return lines


def _fork_lines(node: Any, checkpoints: Checkpoints, first: str, rest: str) -> list[str]:
    nested = _execution_lines(node, checkpoints, rest)
    return [first + "fork " + nested[0][len(rest):], *nested[1:]]


def _execution_label(execution: Execution) -> str:
    name = f" {execution.name!r}" if execution.name else ""
    label = f"{execution.project} {short(execution.id)}{name}  {execution.status.value}  {when(execution.created_at)}"
    return printable(label)


def _checkpoint_label(checkpoint: Checkpoint, execution: Execution) -> str:
    nodes = [n for n in checkpoint.writes if not n.startswith("__")]
    what = ", ".join(nodes) or checkpoint.source
    parts = [f"@{checkpoint.step}".ljust(4), short(checkpoint.id), what]
    if checkpoint.output_files:
        parts.append(f"{len(checkpoint.output_files)} file(s)")
    if checkpoint.id == execution.head_checkpoint_id:
        parts.append("◀ head" + (f" (next: {', '.join(checkpoint.next)})" if checkpoint.next else ""))
    return printable("  ".join(parts))


# -- differences ------------------------------------------------------------------------

Read = Callable[[str], bytes]


def unified_diff(result: DiffResult, label_a: str, label_b: str, read_a: Read, read_b: Read) -> str:
    """State keys and text files as a unified diff (``a/state/KEY``, ``a/PATH``); a binary
    file is one line, as git says it."""
    lines = [f"diff a={label_a} b={label_b}"]
    state = result.state
    for key in sorted({*state.added, *state.removed, *state.changed} - set(INTERNAL_KEYS)):
        if key in state.changed:
            old, new = state.changed[key]
            lines += _diff(_json(old), _json(new), f"a/state/{printable(key)}", f"b/state/{printable(key)}")
        elif key in state.added:
            lines += _diff([], _json(state.added[key]), "/dev/null", f"b/state/{printable(key)}")
        else:
            lines += _diff(_json(state.removed[key]), [], f"a/state/{printable(key)}", "/dev/null")
    files = result.files
    for path in sorted({*files.added, *files.removed, *files.modified}):
        old = read_a(path) if path not in files.added else None
        new = read_b(path) if path not in files.removed else None
        lines += _file_diff(path, old, new)
    if len(lines) == 1:
        lines.append("no differences")
    return "\n".join(lines)


def _file_diff(path: str, old: bytes | None, new: bytes | None) -> list[str]:
    a = f"a/{printable(path)}" if old is not None else "/dev/null"
    b = f"b/{printable(path)}" if new is not None else "/dev/null"
    old_text, new_text = _text(old), _text(new)
    if old_text is None or new_text is None:
        return [f"Binary files {a} and {b} differ"]
    return _diff(old_text.splitlines(), new_text.splitlines(), a, b)


def _text(data: bytes | None) -> str | None:
    if data is None:
        return ""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).splitlines()


def _diff(old: list[str], new: list[str], a: str, b: str) -> list[str]:
    return list(difflib.unified_diff(old, new, a, b, lineterm=""))
