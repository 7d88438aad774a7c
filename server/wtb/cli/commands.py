"""The sub-commands: one table of :class:`Command` (name, help, arguments, handler).

A handler takes the open bench and the parsed arguments and returns what to print (a
record, a list, a ready text) or None when it printed itself. Arguments are checked while
parsing (JSON, ``KEY=JSON``, a folder to write to), so bad input fails before any bench
is opened or anything written. To add a command, append a :class:`Command` to
:data:`COMMANDS`; one that needs no bench (it runs a server) goes in :data:`wtb.cli.RAW`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wtb.cli import render
from wtb.errors import BusyError, InvalidArgumentError
from wtb.models import to_jsonable

Handler = Callable[[Any, argparse.Namespace], Any]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    handler: Handler
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None
    #: Whether the command records something, and so makes the data directory when there is
    #: none yet. Every other command reads an empty store then and creates nothing.
    creates_data: bool = False


# -- argument types: checked while parsing, before anything is opened ---------------------


def json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON ({exc}); a string needs quotes: '\"text\"'") from exc


def key_json(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=JSON")
    try:
        return key, json.loads(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the value is not JSON ({exc}); a string needs quotes: {key}='\"{raw}\"'"
        ) from exc


def input_state(text: str) -> Any:
    """``--input``: JSON, or ``@file.json``: an object for a ``StateGraph``, any value for an
    ``@entrypoint`` (the Functional API takes what its function takes)."""
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise argparse.ArgumentTypeError(f"input file {path} does not exist")
        text = path.read_text(encoding="utf-8")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc
    return value


def run_config(text: str) -> dict[str, Any]:
    """``--config``: LangGraph's RunnableConfig as JSON or ``@file.json`` (``configurable``,
    ``recursion_limit``, ``context`` for a graph's ``context_schema``)."""
    value = input_state(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            'must be a JSON object such as {"configurable": {"model": "small"}, "recursion_limit": 50}'
        )
    return value


def new_file(text: str) -> Path:
    """A file to write: its folder must exist and be writable."""
    path = Path(text)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"folder {folder} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder")
    if not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"folder {folder} is not writable")
    return path


def at(execution: str, checkpoint: str | None) -> tuple[str, str | None]:
    """``EXEC@STEP`` (the editor's way of naming a step) as an execution and a checkpoint."""
    if checkpoint is None and "@" in execution:
        name, _, step = execution.partition("@")
        return name, f"@{step}"
    return execution, checkpoint


def side(text: str) -> tuple[str, str | None]:
    """A diff side: ``EXEC``, ``EXEC:CHECKPOINT`` or ``EXEC@STEP``."""
    if ":" in text:
        execution, _, checkpoint = text.partition(":")
        return execution, checkpoint or None
    return at(text, None)


# -- handlers -----------------------------------------------------------------------------


def projects(bench: Any, args: argparse.Namespace) -> Any:
    return [
        {"name": p.name, "graph": p.reference or repr(p.graph), "source": str(p.source or "")}
        for p in bench.list_projects()
    ]


def run(bench: Any, args: argparse.Namespace) -> Any:
    from wtb.config import PauseStrategyConfig

    pause = None
    if args.pause_before or args.pause_after or args.pause_on_error:
        pause = PauseStrategyConfig(
            before=tuple(args.pause_before), after=tuple(args.pause_after), on_error=args.pause_on_error
        )
    return bench.run(args.project, args.input, args.config, on_event=progress(args), name=args.name, pause=pause)


def doctor(bench: Any, args: argparse.Namespace) -> Any:
    report = bench.doctor(measure_data_dir=args.has_data)
    if not args.has_data:  # an empty store stood in for the missing one: report the real place
        report.data_dir = str(args.data_dir_path)
        report.problems.append("no data directory yet: the first `wtb run` makes it")
    if args.json:
        return report
    from wtb.engine.doctor import render as render_report

    print(render_report(report))
    return None


def state(bench: Any, args: argparse.Namespace) -> Any:
    return bench.get_state(*at(args.execution, args.checkpoint))


def files(bench: Any, args: argparse.Namespace) -> Any:
    return bench.get_files(*at(args.execution, args.checkpoint))


def cat(bench: Any, args: argparse.Namespace) -> Any:
    data = bench.read_file(args.execution, args.checkpoint, args.path)
    if args.json:
        try:
            return {"path": args.path, "encoding": "utf-8", "content": data.decode("utf-8")}
        except UnicodeDecodeError:
            return {"path": args.path, "encoding": "base64", "content": base64.b64encode(data).decode("ascii")}
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return None


def rollback(bench: Any, args: argparse.Namespace) -> Any:
    if args.undo:
        result = bench.undo_rollback(args.execution)
    elif not args.checkpoint:
        raise InvalidArgumentError("wtb rollback needs EXECUTION CHECKPOINT (or --undo EXECUTION).")
    else:
        result = bench.rollback(args.execution, args.checkpoint)
    if args.json:
        return result
    data = to_jsonable(result)
    skipped = data.pop("skipped", None) or []
    print(render.human(data))
    if skipped:
        print(f"skipped: {len(skipped)} path(s) left as they are:")
        for item in skipped:
            print(f"  {render.printable(item['path'])}: {item['reason']}")
    return None


def fork(bench: Any, args: argparse.Namespace) -> Any:
    return bench.fork(args.execution, args.checkpoint, dict(args.set) or None, args.config, name=args.name,
                      as_node=args.as_node)


def resume(bench: Any, args: argparse.Namespace) -> Any:
    return bench.resume(
        args.execution, dict(args.set) or None, on_event=progress(args), as_node=args.as_node,
        resume_value=args.resume_value,
    )


def cancel(bench: Any, args: argparse.Namespace) -> Any:
    execution = bench.cancel(args.execution, args.timeout)
    if execution.status.value == "running":
        raise BusyError(
            f"Execution {args.execution} is still running after {args.timeout:g} s: its current node has not "
            "returned. The cancel request stands; it stops before its next step."
        )
    return execution


def diff(bench: Any, args: argparse.Namespace) -> Any:
    (exec_a, cp_a), (exec_b, cp_b) = side(args.a), side(args.b)
    result = bench.diff(exec_a, cp_a, exec_b, cp_b)
    if args.json:
        return result
    print(render.unified_diff(
        result, _label(exec_a, cp_a), _label(exec_b, cp_b),
        lambda path: bench.read_file(exec_a, cp_a, path), lambda path: bench.read_file(exec_b, cp_b, path),
    ))
    return None


def _label(execution: str, checkpoint: str | None) -> str:
    if checkpoint is None:
        return execution
    return f"{execution}@{checkpoint[1:]}" if checkpoint.startswith("@") else f"{execution}:{checkpoint}"


def tree(bench: Any, args: argparse.Namespace) -> Any:
    roots = bench.get_execution_tree(args.project)
    if args.json:
        return roots
    print(render.tree(roots, bench.get_checkpoints))
    return None


def check(bench: Any, args: argparse.Namespace) -> Any:
    from wtb.regression import CheckRules
    from wtb.regression.junit import write_junit

    known = [g.name for g in bench.list_goldens()]
    names = args.names or known
    if not names:
        raise InvalidArgumentError("No golden runs yet: mark one with `wtb golden EXECUTION`.")
    unknown = [name for name in names if name not in known]
    if unknown:  # before any check runs
        raise InvalidArgumentError(
            f"No golden run named {', '.join(map(repr, unknown))} (goldens: {', '.join(known) or 'none'}); "
            "mark one with `wtb golden EXECUTION --name NAME`."
        )
    rules = CheckRules(ignore_keys=args.ignore_key, ignore_paths=args.ignore_path, rel_tolerance=args.tolerance)
    results = [bench.check(golden=name, rules=rules) for name in names]
    if args.junit:
        write_junit(results, args.junit)
    if not args.json:
        for result in results:
            print(result.report())
    return CheckOutcome(results)


class CheckOutcome(list[Any]):
    """Check results; the CLI exits 1 when any of them is a regression."""

    @property
    def failed(self) -> bool:
        return any(not result.passed for result in self)


def prune(bench: Any, args: argparse.Namespace) -> Any:
    older = args.older_than_days * 86400 if args.older_than_days is not None else None
    return bench.prune(
        keep_last=args.keep_last, older_than=older, keep_golden=not args.no_keep_golden, max_storage=args.max_storage
    )


def env(bench: Any, args: argparse.Namespace) -> Any:
    from wtb.engine.node_env import EnvironmentManager

    manager = EnvironmentManager(bench.data_dir)
    if args.action == "rm":
        return {"removed": manager.remove(args.key)}
    return [
        {"id": e.key, "path": str(e.path), "requirements": e.requirements, "size": e.size_bytes}
        for e in manager.installed()
    ]


def progress(args: argparse.Namespace) -> Callable[[dict[str, Any]], None] | None:
    """Nodes as they start, on a terminal's stderr."""
    if args.json or not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(event: dict[str, Any]) -> None:
        if event["type"] == "node":
            print(f"  [{time.monotonic() - started:6.2f}s] ▶ {render.printable(event['node'])}", file=sys.stderr)

    return show


# -- the table ----------------------------------------------------------------------------

EXECUTION = "execution id, or a unique prefix of it (8 characters, as the editor shows)"
CHECKPOINT = "checkpoint id, a unique prefix or suffix of it, @STEP (its step), or head"


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument(
        "--input", type=input_state, default={},
        help="the input as JSON, or @file.json: the initial state (an object); any value for an @entrypoint",
    )
    p.add_argument("--name", default=None)
    p.add_argument("--config", type=run_config, default=None, metavar="JSON",
                   help="LangGraph's config as JSON or @file.json: configurable, recursion_limit, context")
    p.add_argument("--pause-before", action="append", default=[], metavar="NODE", help="pause before NODE")
    p.add_argument("--pause-after", action="append", default=[], metavar="NODE", help="pause after NODE")
    p.add_argument("--pause-on-error", action="store_true", help="pause at a failing node instead of failing")


def _executions_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", default=None)
    p.add_argument("--limit", type=int, default=50)


def _checkpoints_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("execution", help=EXECUTION)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--before", default=None, metavar="CHECKPOINT")
    p.add_argument("--subgraphs", action="store_true", help="with the steps inside subgraphs (namespace)")


def _at_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("execution", help=EXECUTION + "; EXECUTION@STEP names a step")
    p.add_argument("checkpoint", nargs="?", help=CHECKPOINT + " (default: the head)")


def _cat_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("execution", help=EXECUTION)
    p.add_argument("checkpoint", help=CHECKPOINT)
    p.add_argument("path")


def _rollback_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("execution", help=EXECUTION)
    p.add_argument("checkpoint", nargs="?", help=CHECKPOINT)
    p.add_argument("--undo", action="store_true", help="undo the last rollback")


def _edit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], type=key_json, metavar="KEY=JSON",
                   help='state edit; the value is JSON (a string needs quotes: key=\'"text"\')')
    p.add_argument("--as-node", default=None, help="apply the edits as if NODE made them (a step of several nodes)")


def _fork_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("execution", help=EXECUTION)
    p.add_argument("checkpoint", help=CHECKPOINT)
    _edit_args(p)
    p.add_argument("--name", default=None)
    p.add_argument("--config", type=run_config, default=None, metavar="JSON",
                   help="LangGraph's config for the fork as JSON or @file.json: configurable, recursion_limit, context")


def _resume_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("execution", help=EXECUTION)
    _edit_args(p)
    p.add_argument("--resume-value", type=json_value, default=None, metavar="JSON",
                   help="answer to a node's interrupt() (JSON)")


def _cancel_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("execution", help=EXECUTION)
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for it to stop (default: 5)")


def _diff_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", metavar="A", help="EXECUTION, EXECUTION:CHECKPOINT or EXECUTION@STEP")
    p.add_argument("b", metavar="B", help="the same for the other side")


def _project_filter(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", default=None)


def _golden_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("execution", help=EXECUTION)
    p.add_argument("--name", default=None, help="golden name (default: the project's name)")


def _check_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="*", help="golden names (default: all)")
    p.add_argument("--junit", type=new_file, default=None, metavar="FILE", help="also write JUnit XML")
    p.add_argument("--ignore-key", action="append", default=[], metavar="KEY")
    p.add_argument("--ignore-path", action="append", default=[], metavar="GLOB")
    p.add_argument("--tolerance", type=float, default=0.0, help="relative tolerance for numbers")


def _prune_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keep-last", type=int, default=None, help="keep the newest N per project")
    p.add_argument("--older-than-days", type=float, default=None)
    p.add_argument("--max-storage", default=None, help="e.g. 500MB: prune oldest first until it fits")
    p.add_argument("--no-keep-golden", action="store_true")


def _env_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["ls", "rm"])
    p.add_argument("key", nargs="?")


COMMANDS: list[Command] = [
    Command("run", "run a workflow to its end, checkpointing every step", run, _run_args, creates_data=True),
    Command("projects", "list the workspace's workflows", projects),
    Command("doctor", "versions, the file watcher's mode and barrier round trip, the data dir, Ray", doctor),
    Command("executions", "list executions", lambda b, a: b.list_executions(a.project, a.limit), _executions_args),
    Command("checkpoints", "list an execution's checkpoints, newest first",
            lambda b, a: b.get_checkpoints(a.execution, a.limit, a.before, a.subgraphs), _checkpoints_args),
    Command("state", "show the state at a checkpoint", state, _at_args),
    Command("files", "list files at a checkpoint", files, _at_args),
    Command("cat", "print a file as it was at a checkpoint", cat, _cat_args),
    Command("gc", "remove blobs no snapshot references", lambda b, a: b.gc()),
    Command("stats", "show storage statistics", lambda b, a: b.storage_stats()),
    Command("rollback", "roll an execution back to a checkpoint (state and files)", rollback, _rollback_args),
    Command("fork", "fork a new execution from a checkpoint", fork, _fork_args),
    Command("resume", "run a paused or forked execution on from its head", resume, _resume_args),
    Command("cancel", "stop a running execution, whichever process runs it", cancel, _cancel_args),
    Command("diff", "unified diff of the state and the files of two checkpoints: A B", diff, _diff_args),
    Command("tree", "executions, their checkpoints, and forks under the checkpoint they came from", tree,
            _project_filter),
    Command("golden", "mark a completed execution as golden", lambda b, a: b.mark_golden(a.execution, a.name),
            _golden_args),
    Command("check", "re-run golden runs and compare state and files; exit 1 on a regression", check, _check_args),
    Command("prune", "delete old executions (and pending ones that never started) and free their storage", prune,
            _prune_args),
    Command("env", "list (ls) or remove (rm [KEY]) the nodes' Python environments", env, _env_args),
]
