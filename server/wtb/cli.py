"""``wtb``: the command-line face of the SDK.

Each sub-command is one SDK call. Output is a human table by default and JSON with
``--json`` (for scripts); bad input exits with status 2 and a one-line error on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from wtb.errors import InvalidArgumentError, WTBError
from wtb.models import to_jsonable

Handler = Callable[[Any, argparse.Namespace], Any]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        from wtb.lsp.main import main as serve

        return serve(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings = _warnings_to_stderr()
    try:
        from wtb.sdk.bench import WTBTestBench

        with WTBTestBench.create(data_dir=args.data_dir, workspace=args.workspace) as bench:
            result = args.handler(bench, args)
    except WTBError as exc:
        print(f"wtb: error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # damage found past the open (wtb.sqlite names what it finds there)
        print(f"wtb: error: {_damaged(args, exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wtb: interrupted", file=sys.stderr)
        return 130
    finally:
        logging.getLogger("wtb").removeHandler(warnings)
    return _print(result, args)


class _OneLine(logging.Formatter):
    """``wtb: <first line of the message>``: what the library warns about (e.g. a rollback that
    an interrupted process left half-done, finished or given up on opening), without tracebacks."""

    def format(self, record: logging.LogRecord) -> str:
        lines = record.getMessage().splitlines()
        return f"wtb: {lines[0] if lines else record.levelname.lower()}"


def _warnings_to_stderr() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(_OneLine())
    logging.getLogger("wtb").addHandler(handler)
    return handler


def _damaged(args: argparse.Namespace, exc: sqlite3.DatabaseError) -> str:
    from wtb.sqlite import damaged_store

    data_dir = Path(args.data_dir) if args.data_dir else Path(args.workspace) / ".wtb"
    found = damaged_store(data_dir, exc)
    if found is not None:
        return str(found).replace(str(data_dir), f"a database in {data_dir}", 1)
    return f"a database in {data_dir} cannot be used ({exc}); run `wtb doctor`, or move the data directory aside."


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", default=".", help="workspace directory (default: .)")
    common.add_argument("--data-dir", default=None, help="data directory (default: <workspace>/.wtb)")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser = argparse.ArgumentParser(prog="wtb", description="Workflow Test Bench for LangGraph workflows.")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    run = add("run", _run, "run a workflow to its end, checkpointing every step")
    run.add_argument("project")
    run.add_argument("--input", default=None, help="initial state as JSON, or @file.json")
    run.add_argument("--name", default=None)
    run.add_argument("--pause-before", action="append", default=[], metavar="NODE", help="pause before NODE")
    run.add_argument("--pause-after", action="append", default=[], metavar="NODE", help="pause after NODE")
    run.add_argument("--pause-on-error", action="store_true", help="pause at a failing node instead of failing")
    add("projects", lambda b, a: _projects(b), "list the workspace's workflows")
    add("doctor", _doctor, "versions, the file watcher's mode and barrier round trip, the data dir, Ray")
    executions = add("executions", lambda b, a: b.list_executions(a.project, a.limit), "list executions")
    executions.add_argument("--project", default=None)
    executions.add_argument("--limit", type=int, default=50)
    checkpoints = add("checkpoints", lambda b, a: b.get_checkpoints(a.execution, a.limit, a.before, a.subgraphs),
                      "list an execution's checkpoints, newest first")
    checkpoints.add_argument("execution")
    checkpoints.add_argument("--limit", type=int, default=None)
    checkpoints.add_argument("--before", default=None)
    checkpoints.add_argument("--subgraphs", action="store_true", help="with the steps inside subgraphs (namespace)")
    state = add("state", lambda b, a: b.get_state(a.execution, a.checkpoint), "show the state at a checkpoint")
    state.add_argument("execution")
    state.add_argument("checkpoint", nargs="?")
    files = add("files", lambda b, a: b.get_files(a.execution, a.checkpoint), "list files at a checkpoint")
    files.add_argument("execution")
    files.add_argument("checkpoint", nargs="?")
    cat = add("cat", _cat, "print a file as it was at a checkpoint")
    cat.add_argument("execution")
    cat.add_argument("checkpoint")
    cat.add_argument("path")
    add("gc", lambda b, a: b.gc(), "remove blobs no snapshot references")
    add("stats", lambda b, a: b.storage_stats(), "show storage statistics")
    rollback = add("rollback", _rollback, "roll an execution back to a checkpoint (state and files)")
    rollback.add_argument("execution")
    rollback.add_argument("checkpoint", nargs="?")
    rollback.add_argument("--undo", action="store_true", help="undo the last rollback")
    fork = add("fork", _fork, "fork a new execution from a checkpoint")
    fork.add_argument("execution")
    fork.add_argument("checkpoint")
    fork.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="state edit")
    fork.add_argument("--name", default=None)
    fork.add_argument("--as-node", default=None, help="apply the edits as if NODE made them (a step of several nodes)")
    resume = add("resume", _resume, "run a paused or forked execution on from its head")
    resume.add_argument("execution")
    resume.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="state edit")
    resume.add_argument("--as-node", default=None, help="apply the edits as if NODE made them")
    resume.add_argument("--resume-value", default=None, metavar="JSON", help="answer to a node's interrupt()")
    cancel = add("cancel", _cancel, "stop a running execution, whichever process runs it")
    cancel.add_argument("execution")
    cancel.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for it to stop (default: 5)")
    diff = add("diff", _diff, "difference between two checkpoints: A[:CP] B[:CP]")
    diff.add_argument("a")
    diff.add_argument("b")
    tree = add("tree", lambda b, a: b.get_execution_tree(a.project), "executions and their forks")
    tree.add_argument("--project", default=None)
    golden = add("golden", lambda b, a: b.mark_golden(a.execution, a.name), "mark a completed execution as golden")
    golden.add_argument("execution")
    golden.add_argument("--name", default=None, help="golden name (default: the project's name)")
    check = add("check", _check, "re-run golden runs and compare state and files; exit 1 on a regression")
    check.add_argument("names", nargs="*", help="golden names (default: all)")
    check.add_argument("--junit", default=None, metavar="FILE", help="also write JUnit XML")
    check.add_argument("--ignore-key", action="append", default=[], metavar="KEY")
    check.add_argument("--ignore-path", action="append", default=[], metavar="GLOB")
    check.add_argument("--tolerance", type=float, default=0.0, help="relative tolerance for numbers")
    prune = add("prune", _prune, "delete old executions and free their storage")
    prune.add_argument("--keep-last", type=int, default=None, help="keep the newest N per project")
    prune.add_argument("--older-than-days", type=float, default=None)
    prune.add_argument("--max-storage", default=None, help="e.g. 500MB: prune oldest first until it fits")
    prune.add_argument("--no-keep-golden", action="store_true")
    from wtb.batch.cli import add_commands as add_batch_commands

    add_batch_commands(sub, common)
    env = add("env", _env, "list (ls) or remove (rm [KEY]) the nodes' Python environments")
    env.add_argument("action", choices=["ls", "rm"])
    env.add_argument("key", nargs="?")
    sub.add_parser("serve", help="start the language server (stdio) for the editor; see `wtb serve --help`")
    return parser


def _projects(bench: Any) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "graph": p.reference or repr(p.graph), "source": str(p.source or "")}
        for p in bench.list_projects()
    ]


def _run(bench: Any, args: argparse.Namespace) -> Any:
    initial = _parse_input(args.input)
    progress = _progress_printer() if sys.stderr.isatty() and not args.json else None
    from wtb.config import PauseStrategyConfig

    pause = None
    if args.pause_before or args.pause_after or args.pause_on_error:
        pause = PauseStrategyConfig(
            before=tuple(args.pause_before), after=tuple(args.pause_after), on_error=args.pause_on_error
        )
    return bench.run(args.project, initial, on_event=progress, name=args.name, pause=pause)


def _doctor(bench: Any, args: argparse.Namespace) -> Any:
    report = bench.doctor()
    if args.json:
        return report
    from wtb.engine.doctor import render

    print(render(report))
    return None


def _cat(bench: Any, args: argparse.Namespace) -> None:
    sys.stdout.buffer.write(bench.read_file(args.execution, args.checkpoint, args.path))
    sys.stdout.flush()
    return None


def _rollback(bench: Any, args: argparse.Namespace) -> Any:
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
    print(_human(data))
    if skipped:
        print(f"skipped: {len(skipped)} path(s) left as they are:")
        for item in skipped:
            print(f"  {item['path']}: {item['reason']}")
    return None


def _fork(bench: Any, args: argparse.Namespace) -> Any:
    return bench.fork(args.execution, args.checkpoint, _parse_sets(args.set) or None, name=args.name,
                      as_node=args.as_node)


def _resume(bench: Any, args: argparse.Namespace) -> Any:
    progress = _progress_printer() if sys.stderr.isatty() and not args.json else None
    value = json.loads(args.resume_value) if args.resume_value is not None else None
    return bench.resume(
        args.execution, _parse_sets(args.set) or None, on_event=progress, as_node=args.as_node, resume_value=value
    )


def _cancel(bench: Any, args: argparse.Namespace) -> Any:
    execution = bench.cancel(args.execution, args.timeout)
    if execution.status.value == "running":
        from wtb.errors import BusyError

        raise BusyError(
            f"Execution {args.execution} is still running after {args.timeout:g} s: its current node has not "
            "returned. The cancel request stands; it stops before its next step."
        )
    return execution


def _diff(bench: Any, args: argparse.Namespace) -> Any:
    exec_a, _, cp_a = args.a.partition(":")
    exec_b, _, cp_b = args.b.partition(":")
    return bench.diff(exec_a, cp_a or None, exec_b, cp_b or None)


def _check(bench: Any, args: argparse.Namespace) -> Any:
    from wtb.regression import CheckRules
    from wtb.regression.junit import write_junit

    names = args.names or [g.name for g in bench.list_goldens()]
    if not names:
        raise InvalidArgumentError("No golden runs yet: mark one with `wtb golden EXECUTION`.")
    rules = CheckRules(ignore_keys=args.ignore_key, ignore_paths=args.ignore_path, rel_tolerance=args.tolerance)
    results = [bench.check(golden=name, rules=rules) for name in names]
    if args.junit:
        write_junit(results, Path(args.junit))
    if not args.json:
        for result in results:
            print(result.report())
    return CheckOutcome(results)


class CheckOutcome(list[Any]):
    """Check results; the CLI exits 1 when any of them is a regression."""

    @property
    def failed(self) -> bool:
        return any(not result.passed for result in self)


def _prune(bench: Any, args: argparse.Namespace) -> Any:
    older = args.older_than_days * 86400 if args.older_than_days is not None else None
    return bench.prune(
        keep_last=args.keep_last, older_than=older, keep_golden=not args.no_keep_golden, max_storage=args.max_storage
    )


def _env(bench: Any, args: argparse.Namespace) -> Any:
    from wtb.engine.node_env import EnvironmentManager

    manager = EnvironmentManager(bench.data_dir)
    if args.action == "rm":
        return {"removed": manager.remove(args.key)}
    return [
        {"id": e.key, "path": str(e.path), "requirements": e.requirements, "size": e.size_bytes}
        for e in manager.installed()
    ]


def _parse_input(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise InvalidArgumentError(f"Input file {path} does not exist.")
        text = path.read_text(encoding="utf-8")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidArgumentError(f"--input is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidArgumentError("--input must be a JSON object (the initial state).")
    return value


def _parse_sets(items: list[str]) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidArgumentError(f"--set {item!r} is not KEY=JSON.")
        try:
            updates[key] = json.loads(raw)
        except ValueError:
            updates[key] = raw
    return updates


def _progress_printer() -> Callable[[dict[str, Any]], None]:
    started = time.monotonic()

    def show(event: dict[str, Any]) -> None:
        if event["type"] == "node":
            print(f"  [{time.monotonic() - started:6.2f}s] ▶ {event['node']}", file=sys.stderr)

    return show


def _print(result: Any, args: argparse.Namespace) -> int:
    if result is None:
        return 0
    if isinstance(result, CheckOutcome):
        if args.json:
            print(json.dumps(to_jsonable(list(result)), indent=2, default=str))
        return 1 if result.failed else 0
    data = to_jsonable(result)
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        print(_human(data))
    failed = isinstance(data, dict) and data.get("status") == "failed"
    return 1 if failed else 0


def _human(data: Any) -> str:
    """A readable rendering: tables for lists of records, key: value for one record."""
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        return _table(data)
    if isinstance(data, list):
        return "(none)" if not data else "\n".join(map(str, data))
    if isinstance(data, dict) and data and all(isinstance(v, dict) and "path" in v for v in data.values()):
        return _table(list(data.values()))
    if isinstance(data, dict):
        width = max((len(k) for k in data), default=0)
        return "\n".join(f"{k.ljust(width)}  {_cell(v, 100)}" for k, v in data.items())
    return str(data)


_PREFERRED = ("id", "name", "project", "status", "step", "source", "path", "kind", "size", "next", "created_at")


def _table(rows: list[dict[str, Any]]) -> str:
    columns = [c for c in _PREFERRED if c in rows[0]] or list(rows[0])[:6]
    if "writes" in rows[0]:
        columns.insert(columns.index("step") + 1 if "step" in columns else 0, "writes")
    cells = [[_cell(row.get(c) if c != "writes" else ",".join(row.get("writes") or {}), 40) for c in columns]
             for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _cell(value: Any, limit: int) -> str:
    if isinstance(value, float) and value > 1e9:
        value = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
