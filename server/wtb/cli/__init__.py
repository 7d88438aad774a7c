"""``wtb``: the command-line face of the SDK.

Each sub-command is one SDK call (:mod:`wtb.cli.commands` holds the table). Output is for
people by default and JSON with ``--json`` (for scripts). The workspace is found upward
from the current folder (:mod:`wtb.cli.workspace`); only a command that records something
makes its data directory. Every error is one line on stderr, ``wtb: error: …``, exit status 2,
without a traceback (``WTB_TRACEBACK=1`` shows one for an unexpected error); see ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from wtb.cli import render
from wtb.cli.commands import COMMANDS, CheckOutcome
from wtb.cli.workspace import Located, locate
from wtb.errors import WTBError
from wtb.models import to_jsonable

#: Commands that need no bench (they run a server over stdio): name -> (module with main(argv), help).
RAW: dict[str, tuple[str, str]] = {
    "serve": ("wtb.lsp.main", "start the language server (stdio) for the editor; see `wtb serve --help`"),
    "dap": ("wtb.dap.main", "start the debug adapter (Debug Adapter Protocol over stdio) for the editor's debugger"),
}
#: Commands registered by other modules that record something (see ``Command.creates_data``).
CREATES_DATA = {"batch"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in RAW:
        module = importlib.import_module(RAW[argv[0]][0])
        return int(module.main(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    warnings = _warnings_to_stderr()
    located: Located | None = None
    try:
        located = locate(args.workspace, args.data_dir)
        args.has_data, args.data_dir_path = located.has_data, located.data_dir
        with _open(located, args) as bench:
            result = args.handler(bench, args)
    except WTBError as exc:
        return _fail(str(exc))
    except sqlite3.DatabaseError as exc:  # damage found past the open (wtb.sqlite names what it finds there)
        return _fail(_damaged(located, exc))
    except KeyboardInterrupt:
        print("wtb: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        return _fail(str(exc))
    except Exception as exc:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("WTB_TRACEBACK"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        return _fail(f"unexpected {type(exc).__name__}: {first} (WTB_TRACEBACK=1 shows where)")
    finally:
        logging.getLogger("wtb").removeHandler(warnings)
    return _print(result, args)


def _open(located: Located, args: argparse.Namespace) -> Any:
    """The bench; on an empty temporary store when there is no data directory yet and the
    command only reads (nothing to read, nothing created)."""
    from wtb.sdk.bench import WTBTestBench

    creates = getattr(args, "creates_data", args.command in CREATES_DATA)
    if located.has_data or creates:
        return WTBTestBench.create(data_dir=args.data_dir, workspace=located.workspace)
    return WTBTestBench.create(mode="testing", workspace=located.workspace)


def _fail(message: str) -> int:
    lines = message.strip().splitlines()
    print(f"wtb: error: {lines[0] if lines else 'failed'}", file=sys.stderr)
    return 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other ``wtb`` error (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        first = message.strip().splitlines()[0] if message.strip() else "bad arguments"
        self.exit(2, f"wtb: error: {first} (see `{self.prog} --help`)\n")


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


def _damaged(located: Located | None, exc: sqlite3.DatabaseError) -> str:
    from wtb.sqlite import damaged_store

    if located is None:
        return f"a database cannot be used ({exc}); run `wtb doctor`."
    data_dir = located.data_dir
    found = damaged_store(data_dir, exc)
    if found is not None:
        return str(found).replace(str(data_dir), f"a database in {data_dir}", 1)
    return f"a database in {data_dir} cannot be used ({exc}); run `wtb doctor`, or move the data directory aside."


def build_parser() -> argparse.ArgumentParser:
    common = OneLineParser(add_help=False)
    common.add_argument("--workspace", default=None,
                        help="workspace directory (default: the nearest folder upward with langgraph.json, "
                        "[tool.wtb] in pyproject.toml, or .wtb/)")
    common.add_argument("--data-dir", default=None, help="data directory (default: <workspace>/.wtb)")
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser = OneLineParser(prog="wtb", description="Workflow Test Bench for LangGraph workflows.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        sub_parser = sub.add_parser(command.name, parents=[common], help=command.help, description=command.help)
        command.arguments(sub_parser)
        sub_parser.set_defaults(handler=command.handler, creates_data=command.creates_data)
    from wtb.batch.cli import add_commands as add_batch_commands

    add_batch_commands(sub, common)
    for name, (_, help_text) in RAW.items():
        sub.add_parser(name, help=help_text)
    return parser


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
        print(render.human(data))
    failed = isinstance(data, dict) and data.get("status") == "failed"
    return 1 if failed else 0
