"""Ids the way people type them: short, as the editor shows them, or a step.

The editor shows 8 characters of an id: the first 8 of an execution id, the last 8 of a
checkpoint id (LangGraph's checkpoint ids sort by time, so the checkpoints of one run share
their first characters). Every face goes through the SDK, and the SDK through here, so the
CLI, the daemon and the debug adapter all take:

- an execution: its full id, or a unique prefix of at least :data:`MIN_LENGTH` characters;
- a checkpoint of that execution: its full id, a unique prefix or suffix of at least
  :data:`MIN_LENGTH` characters (dashes optional), ``@N`` for its step ``N``, or ``head``.

``@N`` names the root graph's checkpoint of step ``N`` (a subgraph's steps are not counted);
when the thread holds several (a rollback and a resume made a second branch), the one on the
line that leads to the execution's head wins, else the newest. See ``docs/cli.md``.
"""

from __future__ import annotations

import re
from typing import Any

from wtb.engine.services import Services
from wtb.errors import AmbiguousIdError, InvalidArgumentError, UnknownCheckpointError, UnknownExecutionError
from wtb.models import Execution

#: Fewer characters name too many things by accident (git asks for 4 too).
MIN_LENGTH = 4
#: How many matches an ambiguity error names.
SHOWN = 8
_HEX = re.compile(r"[0-9a-f-]+")
_FULL = 32  # hex digits of a whole checkpoint id (a UUID)
_STEP = re.compile(r"@(-?\d+)")


def execution_id(services: Services, text: str) -> str:
    """The full id of the execution ``text`` names (its id or a unique prefix)."""
    if not isinstance(text, str) or not text:
        raise InvalidArgumentError(f"An execution id must be a non-empty string, not {text!r}.")
    if services.executions.exists(text):
        return text
    short = text.strip().lower()
    matches = services.executions.ids_starting_with(short, SHOWN + 1) if _is_short(short) else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        hint = "" if _is_short(short) or not _HEX.fullmatch(short) else f" (a prefix needs {MIN_LENGTH} characters)"
        raise UnknownExecutionError(
            f"No execution {text!r} in this data directory{hint}; `wtb executions` lists them."
        )
    raise AmbiguousIdError(
        f"Execution id {text!r} is ambiguous: it starts {_listed(matches)}; give more characters.", matches
    )


def checkpoint_id(services: Services, execution: str | Execution, text: str | None) -> str | None:
    """The full id of the checkpoint ``text`` names in ``execution``'s thread (None: the head).

    ``text``: a full id, a unique prefix or suffix, ``@N`` (the step), ``head`` or None.
    """
    if text is None or text == "" or text == "head":
        return None
    if not isinstance(text, str):
        raise InvalidArgumentError(f"A checkpoint id must be a string, not {text!r}.")
    short = text.strip().lower().replace("-", "")
    if len(short) >= _FULL:  # a whole id: the reading says whether this thread has it
        return text
    record = execution if isinstance(execution, Execution) else services.executions.get(execution)
    step = _STEP.fullmatch(text.strip())
    if step:
        return _at_step(services, record, int(step.group(1)))
    matches: list[str] = []
    if _is_short(short):
        for found in services.adapter.history(record.thread_id, subgraphs=True):
            full = str(found.checkpoint["id"])
            plain = full.replace("-", "")
            if (plain.startswith(short) or plain.endswith(short)) and full not in matches:
                matches.append(full)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return text  # not a short id of this thread: the full-id path says what is wrong
    raise AmbiguousIdError(
        f"Checkpoint id {text!r} is ambiguous in execution {record.id}: it starts or ends {_listed(matches)}; "
        "give more characters "
        "or name it by its step (@N).",
        matches,
    )


def resolve(services: Services, execution: str, checkpoint: str | None) -> tuple[str, str | None]:
    """An execution and one of its checkpoints, both as full ids (checkpoint None: the head)."""
    full = execution_id(services, execution)
    return full, checkpoint_id(services, full, checkpoint)


def resolve_at(services: Services, execution: str, checkpoint: str | None) -> tuple[str, str]:
    """Like :func:`resolve` for an action that needs a checkpoint (``head`` or None: the head's id)."""
    full, found = resolve(services, execution, checkpoint)
    if found is None:
        found = services.adapter.head_of(services.executions.get(full))
        if found is None:
            raise UnknownCheckpointError(f"Execution {full} has no checkpoint yet.")
    return full, found


def _at_step(services: Services, execution: Execution, step: int) -> str:
    line = services.adapter.history(execution.thread_id)  # the root graph's, newest first
    found = [t for t in line if _step_of(t) == step]
    if not found:
        steps = sorted({s for s in map(_step_of, line) if s is not None})
        have = f"its steps are {steps[0]}..{steps[-1]}" if steps else "it has no checkpoint yet"
        raise UnknownCheckpointError(f"Execution {execution.id} has no step {step} in its root graph; {have}.")
    if len(found) == 1:
        return str(found[0].checkpoint["id"])
    ancestry = _head_line(services, execution, line)
    on_line = [t for t in found if str(t.checkpoint["id"]) in ancestry]
    return str((on_line or found)[0].checkpoint["id"])


def _head_line(services: Services, execution: Execution, line: list[Any]) -> set[str]:
    """The ids of the root checkpoints from the head back to the first."""
    parents = {str(t.checkpoint["id"]): _parent_id(t) for t in line}
    head = services.adapter.head_of(execution)
    if head is not None and head not in parents:  # a head inside a subgraph: its root step
        head = str(services.adapter.root_of(services.adapter.get_tuple(execution.thread_id, head)).checkpoint["id"])
    seen: set[str] = set()
    while head is not None and head in parents and head not in seen:
        seen.add(head)
        head = parents[head]
    return seen


def _step_of(found: Any) -> int | None:
    step = (found.metadata or {}).get("step")
    return int(step) if isinstance(step, int) else None


def _parent_id(found: Any) -> str | None:
    parent = found.parent_config
    return str(parent["configurable"]["checkpoint_id"]) if parent else None


def _is_short(text: str) -> bool:
    return len(text) >= MIN_LENGTH and _HEX.fullmatch(text) is not None


def _listed(matches: list[str]) -> str:
    """``3 ids: a, b, c`` (at most :data:`SHOWN` of them)."""
    count = str(len(matches)) if len(matches) <= SHOWN else f"more than {SHOWN}"
    more = ", …" if len(matches) > SHOWN else ""
    return f"{count} ids: {', '.join(matches[:SHOWN])}{more}"
