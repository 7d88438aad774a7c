"""What the Variables pane, Watch and the Debug Console show: the state at a checkpoint.

Containers (dicts, lists, tuples, objects with attributes) get a variables reference the
client expands on demand; references live until the run moves on. Expressions (Watch,
the Debug Console, breakpoint conditions) are Python evaluated against a *copy* of the
state, as ``state`` and as its top-level keys, so that looking never changes the run.
"""

from __future__ import annotations

import ast
import builtins
import copy
import keyword
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_REPR = 500
MAX_CHILDREN = 1000


@dataclass
class Container:
    """What a reference stands for: a value, the expression that names it, and (for the
    state) the path from the state's top, so that an edit can be turned into a state update."""

    value: Any
    evaluate_name: str | None
    path: tuple[Any, ...] | None


class Handles:
    def __init__(self) -> None:
        self._items: dict[int, Container] = {}

    def reset(self) -> None:
        self._items.clear()

    def add(self, value: Any, evaluate_name: str | None = None, path: tuple[Any, ...] | None = None) -> int:
        ref = len(self._items) + 1
        self._items[ref] = Container(value, evaluate_name, path)
        return ref

    def get(self, ref: int) -> Container | None:
        return self._items.get(ref)


def short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a user's __repr__ may raise
        text = f"<repr raised {type(exc).__name__}>"
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"


def children(value: Any) -> list[tuple[str, Any, Any]]:
    """(display name, value, key) for each child of a container; empty for a leaf."""
    if isinstance(value, Mapping):
        return [(str(k), v, k) for k, v in list(value.items())[:MAX_CHILDREN]]
    if isinstance(value, (list, tuple)):
        return [(str(i), v, i) for i, v in enumerate(value[:MAX_CHILDREN])]
    if isinstance(value, (set, frozenset)):
        return [(str(i), v, None) for i, v in enumerate(sorted(value, key=repr)[:MAX_CHILDREN])]
    if isinstance(value, (str, bytes, int, float, bool, type(None))):
        return []
    fields = getattr(value, "__dict__", None)
    if isinstance(fields, dict):
        return [(k, v, None) for k, v in fields.items() if not k.startswith("_")][:MAX_CHILDREN]
    return []


def child_name(parent: str | None, key: Any, value_of_parent: Any) -> str | None:
    if parent is None:
        return None
    if isinstance(value_of_parent, (Mapping, list, tuple)) and key is not None:
        return f"{parent}[{key!r}]"
    return None


def variable(
    handles: Handles, name: str, value: Any, evaluate_name: str | None, path: tuple[Any, ...] | None
) -> dict[str, Any]:
    ref = handles.add(value, evaluate_name, path) if children(value) else 0
    found: dict[str, Any] = {"name": name, "value": short_repr(value), "type": type(value).__name__,
                             "variablesReference": ref}
    if evaluate_name:
        found["evaluateName"] = evaluate_name
    return found


def expand(handles: Handles, container: Container) -> list[dict[str, Any]]:
    parent = container.value
    found = []
    for name, value, key in children(parent):
        path = (*container.path, key) if container.path is not None and key is not None else None
        found.append(variable(handles, name, value, child_name(container.evaluate_name, key, parent), path))
    return found


def namespace(state: Any) -> dict[str, Any]:
    """``state`` and, when it is a dict, each key that is a Python name (a copy of the state)."""
    copied = copy.deepcopy(state)
    names: dict[str, Any] = {}
    if isinstance(copied, dict):
        names.update({k: v for k, v in copied.items()
                      if isinstance(k, str) and k.isidentifier() and not keyword.iskeyword(k)
                      and not k.startswith("_") and not hasattr(builtins, k)})
    names["state"] = copied
    return names


def evaluate(expression: str, state: Any) -> Any:
    return eval(compile(expression.strip(), "<wtb expression>", "eval"), {"__builtins__": builtins}, namespace(state))


def parse_value(text: str, state: Any) -> Any:
    """A value typed in the Variables pane: a Python literal, an expression over the state,
    or (when it is neither) the text itself."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        pass
    try:
        return evaluate(text, state)
    except (NameError, SyntaxError):
        return text


def set_at(state: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = state
    for key in path[:-1]:
        target = target[key]
    if isinstance(target, tuple):
        raise TypeError("a tuple cannot be changed in place; set the whole tuple instead")
    target[path[-1]] = value
