"""The batch commands of ``wtb``: ``batch``, ``batches``, ``batch-show``, ``batch-cancel``.

``wtb.cli`` calls :func:`add_commands` with its sub-parser set and the parser of the
common options (``--workspace``, ``--data-dir``, ``--json``). Each handler takes the
bench and the parsed arguments and returns what ``wtb.cli`` prints: a ready table (text)
for people, a JSON-ready dict or list with ``--json``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from wtb.batch.owner import HasServices

if TYPE_CHECKING:
    from wtb.engine.services import Services

Handler = Callable[[Any, argparse.Namespace], Any]


def add_commands(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register the batch commands on ``wtb``'s sub-parsers."""

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        command: argparse.ArgumentParser = subparsers.add_parser(
            name, parents=[common], help=help_text, description=help_text
        )
        command.set_defaults(handler=handler)
        return command

    batch = add("batch", run_command, "run variants of a workflow in parallel on Ray and compare them")
    batch.add_argument("project", metavar="NAME", help="the workflow")
    batch.add_argument("--variants", required=True, metavar="FILE",
                       help='JSON: [{"name", "initial_state", "config", "node_overrides"}...] or {"matrix": {...}}')
    batch.add_argument("--parallel", type=int, default=None, metavar="N", help="variants at a time (default: cores)")
    batch.add_argument("--from", dest="from_checkpoint", default=None, metavar="EXECUTION[:CHECKPOINT]",
                       help="start every variant from this checkpoint (default checkpoint: the head)")
    batch.add_argument("--address", default=None, metavar="ADDRESS",
                       help="the Ray cluster: HOST:PORT, ray://HOST:10001 or auto "
                       "(default: [tool.wtb.batch] address, RAY_ADDRESS, else a local Ray)")
    batches = add("batches", list_command, "list batches, newest first")
    batches.add_argument("--project", default=None)
    batches.add_argument("--limit", type=int, default=50)
    show = add("batch-show", show_command, "show a batch: its variants and the comparison")
    show.add_argument("batch_id", metavar="ID")
    cancel = add("batch-cancel", cancel_command, "stop a running batch (finished variants are kept)")
    cancel.add_argument("batch_id", metavar="ID")


def run_command(bench: Services | HasServices, args: argparse.Namespace) -> Any:
    """``wtb batch``; while it runs, what is printed on ``sys.stdout`` goes to stderr.

    Ray prints the cluster's error messages ("node … has been marked dead") on the driver's
    ``sys.stdout``; stdout is for the result (``--json`` must parse).
    """
    from wtb.batch.runner import run_batch
    from wtb.batch.variants import load_variants_file

    variants = load_variants_file(args.variants)
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.json else None
    with contextlib.redirect_stdout(sys.stderr):
        result = run_batch(bench, args.project, variants, from_checkpoint=args.from_checkpoint,
                           max_parallel=args.parallel, on_progress=bar, ray_address=args.address)
    if bar is not None:
        bar.close()
    return result.to_dict() if args.json else result.table()


def list_command(bench: Services | HasServices, args: argparse.Namespace) -> Any:
    from wtb.batch.records import list_batches

    rows: list[dict[str, Any]] = [
        {
            "id": r.id,
            "project": r.project,
            "status": r.status,
            "variants": len(r.variants),
            "counts": r.counts,
            "created_at": r.created_at,
            "finished_at": r.finished_at,
        }
        for r in list_batches(bench, args.project, args.limit)
    ]
    if args.json:
        return rows
    if not rows:
        return "(no batches)"
    lines = [f"{'ID':<14}{'PROJECT':<16}{'STATUS':<12}{'VARIANTS':<30}CREATED"]
    for row in rows:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(row["counts"].items()))
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["created_at"]))
        summary = f"{row['variants']}: {counts}"
        lines.append(f"{row['id']:<14}{row['project']:<16}{row['status']:<12}{summary:<30}{created}")
    return "\n".join(lines)


def show_command(bench: Services | HasServices, args: argparse.Namespace) -> Any:
    from wtb.batch.records import get_batch
    from wtb.batch.result import BatchResult

    record = get_batch(bench, args.batch_id)
    if record.result:
        result = BatchResult.from_dict(record.result)
        return result.to_dict() if args.json else result.table()
    if args.json:
        return {"batch_id": record.id, "project": record.project, "status": record.status,
                "variants": record.variants, "counts": record.counts, "created_at": record.created_at}
    counts = ", ".join(f"{n} {s}" for s, n in sorted(record.counts.items()))
    lines = [f"Batch {record.id}  {record.project}  {record.status}  ({counts})"]
    lines += [f"  {v.get('name')}  {v.get('execution_id')}" for v in record.variants]
    return "\n".join(lines)


def cancel_command(bench: Services | HasServices, args: argparse.Namespace) -> Any:
    from wtb.batch.records import cancel_batch

    record = cancel_batch(bench, args.batch_id)
    return {"batch_id": record.id, "status": record.status}


class ProgressBar:
    """A one-line progress bar on a terminal, fed by ``on_progress`` events."""

    def __init__(self, stream: IO[str], width: int = 30) -> None:
        self._stream = stream
        self._width = width
        self._started = time.monotonic()

    def __call__(self, event: dict[str, Any]) -> None:
        total = max(int(event.get("total", 0)), 1)
        done = int(event.get("done", 0))
        filled = int(self._width * done / total)
        bar = "#" * filled + "." * (self._width - filled)
        message = str(event.get("message", ""))[:60]
        elapsed = time.monotonic() - self._started
        self._stream.write(f"\r[{bar}] {done}/{total} {elapsed:6.1f}s {message:<60}")
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\n")
        self._stream.flush()
