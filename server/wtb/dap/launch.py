"""What a launch configuration asks for: the workflow, its input, a checkpoint to start from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wtb.dap.breakpoints import same_path
from wtb.errors import InvalidArgumentError

if TYPE_CHECKING:
    from wtb.sdk.bench import WTBTestBench


def pick_project(bench: WTBTestBench, args: dict[str, Any], workspace: Path) -> str:
    """The workflow a launch names: by "workflow", or the one defined in "program"."""
    if args.get("workflow"):
        return str(args["workflow"])
    program = args.get("program")
    if not program:
        raise InvalidArgumentError("The launch configuration names no workflow: give \"workflow\" (its name in "
                                   "langgraph.json) or \"program\" (its file).")
    wanted = same_path(str(workspace / program))
    found = [p.name for p in bench.list_projects()
             if p.reference and same_path(str(workspace / p.reference.rsplit(":", 1)[0])) == wanted]
    if len(found) != 1:
        known = ", ".join(p.name for p in bench.list_projects()) or "none"
        why = "no workflow is defined in" if not found else f"several workflows ({', '.join(found)}) are in"
        raise InvalidArgumentError(f"{why} {program}; name one with \"workflow\" (workflows: {known}).")
    return found[0]


def start_point(start: Any) -> tuple[str, str]:
    if isinstance(start, dict) and start.get("execution") and start.get("checkpoint"):
        return str(start["execution"]), str(start["checkpoint"])
    raise InvalidArgumentError('"checkpoint" must be {"execution": "<id>", "checkpoint": "<id>"}.')


def initial_state(args: dict[str, Any], workspace: Path) -> Any:
    if "input" in args:
        return args["input"]
    if args.get("inputFile"):
        path = workspace / str(args["inputFile"])
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"Cannot read the input file {path}: {exc}") from exc
    return None
