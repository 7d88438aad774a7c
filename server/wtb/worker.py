"""The run worker: one process per run, spawned by the daemon.

``python -m wtb.worker --workspace W --data-dir D --execution-id X [--resume]
[--state-updates JSON] [--file-tracking JSON]`` runs the pending (or, with ``--resume``,
paused) execution through the SDK and writes one JSON object per line on stdout for each
SDK event (records through ``wtb.models.to_jsonable``):

``{"type": "execution", "execution": {...}}`` · ``{"type": "checkpoint", "checkpoint": {...}}`` ·
``{"type": "node", "node": "...", "step": N}`` · ``{"type": "error", "error": {...}}`` (the SDK
itself raised) · ``{"type": "done", "execution": {...}}`` (last line of a normal end).
Two one-shot modes replace ``--execution-id``: ``--graph WORKFLOW`` prints
``{"type": "graph", "graph": {...}}`` (``bench.get_graph``), and ``--fork EXECUTION_ID
--checkpoint-id C [--state-updates JSON] [--config JSON] [--name N]`` prints the new
execution. Both import workflow code, which is running it, so the daemon never does that
in its own process. ``--check GOLDEN [--initial-state JSON] [--rules JSON]`` runs
``bench.check`` and prints ``{"type": "check", "check": {...}}``.
``--batch WORKFLOW --variants JSON [--from-checkpoint JSON]
[--max-parallel N] [--backend ray|local]`` drives a batch (``bench.run_batch``), printing
``{"type": "batch_progress", "event": {...}}`` lines and finally ``{"type": "batch",
"batch": {...}}``.

The workflow's own ``print`` output must not corrupt that channel: the event stream keeps
the original stdout file descriptor and fd 1 is pointed at stderr before any user code runs.
With ``--standby`` the worker imports LangGraph and the SDK first and then waits for the
rest of its arguments (one JSON list) on stdin: the daemon keeps one such worker ready, so
a run does not wait for those imports.

Running the graph in its own process is what lets the daemon survive a node that calls
``os._exit``, segfaults or never returns; the daemon records those endings itself.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import IO, Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class EventWriter:
    """Writes events as JSON lines to the channel the daemon reads; safe from any thread."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        from wtb.models import to_jsonable

        line = json.dumps(to_jsonable(event), separators=(",", ":"), default=repr)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def take_over_stdout() -> IO[str]:
    """Keep the real stdout for events; send everything else printed to fd 1 to stderr."""
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(events_fd, "w", encoding="utf-8", buffering=1)


def parse_args(argv: Sequence[str] | None, standby: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m wtb.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--data-dir", required=True)
    target = parser.add_mutually_exclusive_group(required=not standby)
    target.add_argument("--execution-id", help="run this pending (or paused, with --resume) execution")
    target.add_argument("--graph", metavar="WORKFLOW", help="print the workflow's nodes and edges, run nothing")
    target.add_argument("--fork", metavar="EXECUTION_ID", help="fork this execution (see --checkpoint-id)")
    target.add_argument("--batch", metavar="WORKFLOW", help="run a batch of --variants of this workflow")
    target.add_argument("--check", metavar="GOLDEN", help="re-run against this golden and compare (bench.check)")
    parser.add_argument("--resume", action="store_true", help="resume a paused execution")
    parser.add_argument("--state-updates", default=None, help="JSON object applied before resuming/forking")
    parser.add_argument("--checkpoint-id", default=None, help="with --fork: the checkpoint to fork at")
    parser.add_argument("--config", default=None, help="with --fork: JSON run configuration")
    parser.add_argument("--name", default=None, help="with --fork: the fork's name")
    parser.add_argument("--variants", default=None, help="with --batch: JSON list of variants")
    parser.add_argument("--from-checkpoint", default=None, help="with --batch: JSON {execution_id, checkpoint_id}")
    parser.add_argument("--max-parallel", type=int, default=None, help="with --batch: variants at a time")
    parser.add_argument("--backend", default=None, choices=("ray", "local"), help="with --batch: where variants run")
    parser.add_argument("--as-node", default=None, help="with --resume or --fork: apply --state-updates as this node")
    parser.add_argument("--resume-value", default=None, help="with --resume: JSON value for the node's interrupt()")
    parser.add_argument("--initial-state", default=None, help="with --check: JSON initial state")
    parser.add_argument("--rules", default=None, help="with --check: JSON CheckRules fields")
    parser.add_argument("--file-tracking", default=None, help="JSON FileTrackingConfig fields")
    parser.add_argument(
        "--standby",
        action="store_true",
        help="import everything, then wait for the rest of the arguments as one JSON list on stdin",
    )
    return parser.parse_args(argv)


def warm_up() -> None:
    """Pay for the heavy imports before the run is known (the daemon keeps one worker on standby)."""
    import langgraph.checkpoint.sqlite
    import langgraph.graph  # noqa: F401

    import wtb.sdk  # noqa: F401


def await_assignment(argv: Sequence[str]) -> list[str] | None:
    """The standby's job: one JSON list of arguments on stdin (EOF: nothing to do, exit)."""
    line = sys.stdin.readline()
    if not line.strip():
        return None
    extra = json.loads(line)
    if not isinstance(extra, list) or not all(isinstance(x, str) for x in extra):
        raise SystemExit("wtb.worker --standby: expected a JSON list of strings on stdin")
    return [a for a in argv if a != "--standby"] + extra


def _json_object(text: str | None, what: str) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object")
    return value


def _error_event(exc: BaseException) -> dict[str, Any]:
    from wtb import errors

    # The nearest class the daemon knows (wtb.errors), so it maps to the right JSON-RPC code.
    known = next((c.__name__ for c in type(exc).__mro__ if getattr(errors, c.__name__, None) is c), None)
    return {
        "type": "error",
        "error": {
            "node": getattr(exc, "node", None),
            "type": type(exc).__name__,
            "known_type": known,
            "message": str(exc),
            "traceback": "".join(traceback.format_exception(exc)),
        },
    }


def _file_tracking(options: dict[str, Any] | None) -> Any:
    if not options:
        return None
    from wtb.config import FileTrackingConfig

    fields = {k: v for k, v in options.items() if v is not None}
    return FileTrackingConfig(**fields)


def _bench_class() -> Any:
    import wtb
    from wtb.errors import NotAvailableError

    cls = getattr(wtb, "WTBTestBench", None)
    if cls is None:
        raise NotAvailableError("wtb.WTBTestBench is not available in this build of WTB yet.")
    return cls


def _ensure_project(bench: Any, name: str) -> None:
    """Workflows named by their reference (undeclared ``StateGraph``s found by the daemon's CodeLens)."""
    from wtb.errors import UnknownProjectError

    try:
        bench.get_project(name)
    except UnknownProjectError:
        file, sep, attr = name.rpartition(":")
        if not (sep and file.endswith(".py") and attr.isidentifier()):
            raise
        from wtb.config import WorkflowProject

        bench.register_project(WorkflowProject(name=name, graph=name))


def _run_batch(bench: Any, args: argparse.Namespace, emit: EventWriter) -> int:
    """``--batch``: the batch driver runs here; SIGTERM (the daemon's cancel) stops it cleanly."""
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    _ensure_project(bench, args.batch)
    variants = json.loads(args.variants or "[]")
    options: dict[str, Any] = {"backend": args.backend} if args.backend else {}
    start = getattr(bench, "run_batch", None)
    if start is None:
        from wtb.batch import run_batch

        def start(*a: Any, **kw: Any) -> Any:
            return run_batch(bench, *a, **kw)

    result = start(
        args.batch,
        variants,
        from_checkpoint=_json_object(args.from_checkpoint, "--from-checkpoint"),
        max_parallel=args.max_parallel,
        on_progress=lambda event: emit({"type": "batch_progress", "event": event}),
        **options,
    )
    emit({"type": "batch", "batch": result.to_dict()})
    return EXIT_OK


def _run_check(bench: Any, args: argparse.Namespace, emit: EventWriter) -> int:
    """``--check``: ``bench.check`` runs the workflow again (isolated) and compares it with the golden."""
    from wtb.regression.compare import CheckRules

    golden = bench.list_goldens()
    project = next((g.project for g in golden if g.name == args.check), None)
    if project is not None:
        _ensure_project(bench, project)
    rules = CheckRules(**(_json_object(args.rules, "--rules") or {}))
    initial_state = _json_object(args.initial_state, "--initial-state")
    result = bench.check(golden=args.check, initial_state=initial_state, rules=rules)
    data = to_plain(result)
    data["report"] = result.report()
    emit({"type": "check", "check": data})
    return EXIT_OK


def to_plain(value: Any) -> Any:
    from wtb.models import to_jsonable

    return to_jsonable(value)


def run(args: argparse.Namespace, emit: EventWriter) -> int:
    from wtb import errors

    try:
        state_updates = _json_object(args.state_updates, "--state-updates")
        config = _json_object(args.config, "--config")
        file_tracking = _file_tracking(_json_object(args.file_tracking, "--file-tracking"))
    except ValueError as exc:
        emit(_error_event(exc))
        return EXIT_USAGE
    except Exception as exc:  # the SDK itself failed to import
        emit(_error_event(exc))
        return EXIT_ERROR

    try:
        bench = _bench_class().create(
            mode="development",
            data_dir=args.data_dir,
            workspace=args.workspace,
            file_tracking=file_tracking,
        )
    except Exception as exc:
        emit(_error_event(exc))
        return EXIT_ERROR

    try:
        if args.graph is not None:
            _ensure_project(bench, args.graph)
            emit({"type": "graph", "graph": bench.get_graph(args.graph)})
            return EXIT_OK
        if args.batch is not None:
            return _run_batch(bench, args, emit)
        if args.check is not None:
            return _run_check(bench, args, emit)
        if args.fork is not None:
            _ensure_project(bench, bench.get_execution(args.fork).project)
            forked = bench.fork(args.fork, args.checkpoint_id, state_updates, config, args.name, as_node=args.as_node)
            emit({"type": "execution", "execution": forked})
            return EXIT_OK
        _ensure_project(bench, bench.get_execution(args.execution_id).project)
        if args.resume:
            resume_value = json.loads(args.resume_value) if args.resume_value is not None else None
            execution = bench.resume(
                args.execution_id,
                state_updates=state_updates,
                on_event=emit,
                as_node=args.as_node,
                resume_value=resume_value,
            )
        else:
            execution = bench.run_execution(args.execution_id, on_event=emit)
        emit({"type": "done", "execution": execution})
        return EXIT_OK
    except errors.WTBError as exc:
        emit(_error_event(exc))
        return EXIT_ERROR
    except Exception as exc:  # the SDK should have recorded a node's failure; report what escaped
        emit(_error_event(exc))
        return EXIT_ERROR
    finally:
        bench.close()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv, standby="--standby" in argv)
    if args.standby:
        with contextlib.suppress(Exception):  # the run itself will report what is broken
            warm_up()
        assigned = await_assignment(argv)
        if assigned is None:
            return EXIT_OK
        args = parse_args(assigned)
    emit = EventWriter(take_over_stdout())
    return run(args, emit)


if __name__ == "__main__":
    sys.exit(main())
