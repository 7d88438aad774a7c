"""State rows (issue 22): a chat graph appending one 1 KB message per step, ``WTBSaver``
(values stored by content) vs plain LangGraph with a ``SqliteSaver`` (values stored whole at
every checkpoint), measured in the same run.

* bytes on disk after 200 and 400 steps (database file + WAL, after a WAL checkpoint);
* run time of those graphs (fresh files each run, sides taking turns, medians);
* ``get_tuple``, WTB's ``get_state`` and LangGraph's ``get_state`` of an old checkpoint (step 10)
  and of the head of the 400-step thread;
* where the values live: a SQLite table vs the file tracker's blob store (one file per value).

Both sides run the same graph with LangGraph's default durability; ``WTBSaver`` has file
tracking off (this measures state, not files). The plain side is ``SqliteSaver`` on a
default ``sqlite3`` connection, as LangGraph's docs set it up.
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
import traceback
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.graph.message import add_messages

Row = tuple[str, float, float | None, str]
MESSAGE = 1000


class Chat(TypedDict, total=False):
    messages: Annotated[list[Any], add_messages]
    n: int


def chat_graph(steps: int) -> Any:
    """One node in a loop: each step appends a 1 KB ``AIMessage`` (``add_messages``)."""
    from langchain_core.messages import AIMessage
    from langgraph.graph import END, START, StateGraph

    def speak(state: Chat) -> Chat:
        n = state["n"] + 1
        return {"messages": [AIMessage(f"{n:04d} " + "x" * MESSAGE)], "n": n}

    graph = StateGraph(Chat)
    graph.add_node("speak", speak)
    graph.add_edge(START, "speak")
    graph.add_conditional_edges("speak", lambda s: END if s["n"] >= steps else "speak")
    return graph.compile


def _input() -> Any:
    from langchain_core.messages import HumanMessage

    return {"messages": [HumanMessage("hello")], "n": 0}


CONFIG = {"configurable": {"thread_id": "chat"}, "recursion_limit": 100_000}


class _Side:
    """A fresh checkpointer in its own folder: ``"wtb"`` (WTBSaver) or ``"plain"`` (SqliteSaver)."""

    def __init__(self, kind: str, root: Path) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        from wtb import FileTrackingConfig, WTBSaver

        self.root = root
        root.mkdir(parents=True)
        if kind == "wtb":
            (root / "ws").mkdir()
            self.saver: Any = WTBSaver(root / "ws", root / "data", file_tracking=FileTrackingConfig(enabled=False))
            self.path = root / "data" / "wtb_checkpoints.db"
        else:
            self.path = root / "plain.db"
            conn = sqlite3.connect(str(self.path), check_same_thread=False)
            if kind == "plain-normal":  # WTB's connection settings (WAL, synchronous=NORMAL)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            self.saver = SqliteSaver(conn)
            self.saver.setup()

    def bytes_on_disk(self) -> int:
        self.saver.conn.commit()
        self.saver.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(os.path.getsize(p) for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def close(self) -> None:
        if hasattr(self.saver, "services"):
            self.saver.close()
        else:
            self.saver.conn.close()
        shutil.rmtree(self.root, ignore_errors=True)


def run_rows(steps: int, turns: int, root: Path) -> tuple[Row, Row, Row, dict[str, int]]:
    """Bytes and run time of ``steps`` appended messages, the sides taking turns. ``plain-normal``
    is ``SqliteSaver`` with WTB's connection settings: WTB's own gain from ``synchronous=NORMAL``
    (``docs/decisions.md``) is not the value store's."""
    compile_ = chat_graph(steps)
    kinds = ("wtb", "plain", "plain-normal")
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    sizes: dict[str, int] = {}
    for turn in range(turns + 1):  # turn 0 warms up (imports, first connection)
        for kind in kinds if turn % 2 else kinds[::-1]:
            side = _Side(kind, root / f"{kind}-{steps}-{turn}")
            try:
                app = compile_(checkpointer=side.saver)
                started = time.perf_counter()
                app.invoke(_input(), CONFIG)
                elapsed = time.perf_counter() - started
                if turn:
                    times[kind].append(elapsed)
                else:
                    sizes[kind] = side.bytes_on_disk()
            finally:
                side.close()
    kb = {kind: size / 1024 for kind, size in sizes.items()}
    size_row: Row = (f"state: KB on disk, {steps} appended 1 KB messages, WTBSaver vs SqliteSaver",
                     kb["wtb"], kb["plain"], "goal ≤0.05×; database + WAL after a checkpoint")
    time_row: Row = (f"state: run of {steps} appended 1 KB messages, WTBSaver vs SqliteSaver",
                     statistics.median(times["wtb"]), statistics.median(times["plain"]),
                     f"goal ≤1.0×; medians of {turns} alternating runs, fresh files each")
    normal_row: Row = (f"state: run of {steps} appended 1 KB messages, WTBSaver vs SqliteSaver (WAL, NORMAL)",
                       statistics.median(times["wtb"]), statistics.median(times["plain-normal"]),
                       "the same runs; baseline on WTB's connection settings")
    return size_row, time_row, normal_row, sizes


def read_rows(steps: int, calls: int, root: Path) -> list[Row]:
    """Reads of the checkpoint after step 10 and of the head of a finished thread.

    ``get_tuple`` through a second ``WTBSaver`` opened on the same data dir (another process's
    view: nothing of the run in memory) and through the saver that ran the graph (what
    LangGraph does at the next ``invoke`` of the thread: the head's lists are in memory);
    WTB's ``get_state`` (the SDK's, on a ``WTBTestBench`` opened on that data dir, where the
    run is an external execution); and LangGraph's own ``get_state`` through the fresh
    ``WTBSaver`` against the same through ``SqliteSaver``.
    """
    from wtb import FileTrackingConfig, WTBSaver, WTBTestBench

    sides = {kind: _Side(kind, root / f"read-{kind}") for kind in ("wtb", "plain")}
    savers: dict[str, Any] = {kind: side.saver for kind, side in sides.items()}
    off = FileTrackingConfig(enabled=False)
    try:
        compile_ = chat_graph(steps)
        configs: dict[str, dict[str, Any]] = {}
        for kind, saver in list(savers.items()):
            app = compile_(checkpointer=saver)
            app.invoke(_input(), CONFIG)
            old = next(s for s in app.get_state_history(CONFIG) if s.values.get("n") == 10)
            configs[kind] = {"old": old.config, "head": {"configurable": {"thread_id": "chat", "checkpoint_ns": ""}}}
        writer = savers["wtb"]
        fresh = WTBSaver(root / "read-wtb" / "ws", root / "read-wtb" / "data", file_tracking=off)
        apps = {"wtb": compile_(checkpointer=fresh), "plain": compile_(checkpointer=savers["plain"])}
        bench = WTBTestBench.create(workspace=root / "read-wtb" / "ws", data_dir=root / "read-wtb" / "data",
                                    file_tracking=off)
        execution = bench.list_executions()[0].id
        rows: list[Row] = []
        for which, label in (("old", "an old checkpoint (step 10)"), ("head", f"the head (step {steps})")):
            wtb_config, plain_config = configs["wtb"][which], configs["plain"][which]
            checkpoint = wtb_config["configurable"].get("checkpoint_id")
            medians = _alternating({
                "wtb": partial(fresh.get_tuple, wtb_config),
                "writer": partial(writer.get_tuple, wtb_config),
                "plain": partial(savers["plain"].get_tuple, plain_config),
                "sdk": partial(bench.get_state, execution, checkpoint),
                "lg-wtb": partial(apps["wtb"].get_state, wtb_config),
                "lg-plain": partial(apps["plain"].get_state, plain_config),
            }, calls)
            note = f"goal ≤2×; medians of {calls} alternating calls"
            rows.append((f"state: get_tuple of {label}, WTBSaver vs SqliteSaver", medians["wtb"], medians["plain"],
                         note + "; another WTBSaver on the data dir"))
            if which == "head":
                rows.append((f"state: get_tuple of {label}, the WTBSaver that wrote it vs SqliteSaver",
                             medians["writer"], medians["plain"], note + "; as at the thread's next invoke"))
            rows.append((f"state: WTB get_state of {label} vs SqliteSaver get_tuple", medians["sdk"],
                         medians["plain"], note + "; WTBTestBench.get_state on the data dir"))
            rows.append((f"state: LangGraph get_state of {label}, fresh WTBSaver vs SqliteSaver", medians["lg-wtb"],
                         medians["lg-plain"], f"medians of {calls} alternating calls; graph.get_state on each saver"))
        bench.close()
        fresh.close()
        return rows
    finally:
        for side in sides.values():
            side.close()


def _alternating(actions: dict[str, Any], calls: int) -> dict[str, float]:
    """Median seconds of each action, taking turns; each call starts after a collection (a
    collection inside one call is noise), after one warm-up call each."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for action in actions.values():
        assert action() is not None
    for _ in range(calls):
        for name, action in actions.items():
            gc.collect()
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def store_choice(root: Path, count: int = 400) -> Row:
    """Where the values go: ``count`` 1 KB values, one committed per step, in a SQLite table
    (as the saver stores them) vs the file tracker's blob store (a file each, write + rename)."""
    import hashlib

    from wtb.filetrack.cas import BlobStore
    from wtb.sqlite import connect

    values = [os.urandom(MESSAGE) for _ in range(count)]
    conn = connect(root / "table.db", autocommit=False)
    conn.execute("CREATE TABLE v (hash BLOB PRIMARY KEY, type TEXT, data BLOB)")
    conn.commit()
    started = time.perf_counter()
    for value in values:
        conn.execute("INSERT OR IGNORE INTO v VALUES (?, 'msgpack', ?)",
                     (hashlib.blake2b(value, digest_size=16).digest(), value))
        conn.commit()
    table_s = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    table_bytes = sum(p.stat().st_size for p in root.glob("table.db*"))
    blobs = BlobStore(root / "blobs")
    started = time.perf_counter()
    for value in values:
        blobs.add_bytes(value)
    blob_s = time.perf_counter() - started
    blobs.close()
    blob_bytes = sum(p.stat().st_blocks * 512 for p in (root / "blobs").rglob("*") if p.is_file())
    return (f"state: store {count} 1 KB values, SQLite table vs blob store", table_s, blob_s,
            f"disk: table {table_bytes // 1024} KB, blob files {blob_bytes // 1024} KB (allocated)")


def bench_run_row(steps: int, plain_bytes: int, root: Path) -> Row:
    """A WTB run of the same graph (``bench.run``, file tracking off): its whole data dir,
    the recorded views in ``wtb.db`` included, against ``SqliteSaver``'s file."""
    from wtb import FileTrackingConfig, WorkflowProject, WTBTestBench

    workspace = root / f"bench-run-{steps}"
    workspace.mkdir()
    with WTBTestBench.create(workspace=workspace, file_tracking=FileTrackingConfig(enabled=False)) as bench:
        bench.register_project(WorkflowProject(name="chat", graph=chat_graph(steps)(checkpointer=None)))
        bench.run("chat", _input())
    data = sum(p.stat().st_size for p in (workspace / ".wtb").glob("*.db*"))
    return (f"state: data dir of bench.run, {steps} appended 1 KB messages, vs SqliteSaver", data / 1024,
            plain_bytes / 1024, "goal ≤0.05×; KB: wtb.db (recorded views) + checkpoints, after close")


def run(quick: bool) -> list[Row]:
    root = Path(tempfile.mkdtemp(prefix="wtb-bench-state-"))
    try:
        turns = 3 if quick else 7
        size200, time200, normal200, sizes200 = run_rows(200, turns, root)
        size400, time400, normal400, sizes400 = run_rows(400, turns, root)
        growth = (f"; 400 steps = {sizes400['wtb'] / sizes200['wtb']:.2f}× the bytes of 200 "
                  f"(SqliteSaver {sizes400['plain'] / sizes200['plain']:.2f}×)")
        size400 = (size400[0], size400[1], size400[2], size400[3] + growth)
        runs = [bench_run_row(steps, sizes["plain"], root) for steps, sizes in ((200, sizes200), (400, sizes400))]
        rows = [size200, size400, *runs, time200, normal200, time400, normal400,
                *read_rows(400, 15 if quick else 51, root)]
        try:
            rows.append(store_choice(root))
        except Exception:  # keep the rows measured so far
            traceback.print_exc()
            rows.append(("state: store 1 KB values, SQLite table vs blob store: FAILED", float("nan"), None, ""))
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)
